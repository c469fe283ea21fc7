//! The `Sec-WebSocket-Extensions` grammar (RFC 6455 §9.1 with RFC 7230's list, token and
//! quoted-string rules): a list of extensions, each a token with `;`-separated parameters,
//! each a token with an optional token or quoted-string value.

/// One extension of a `Sec-WebSocket-Extensions` list, with its parameters in order
/// (quoted values unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension token, as sent.
    pub name: String,
    /// Each parameter's name and value, if it has one.
    pub params: Vec<(String, Option<String>)>,
}

/// Parses every value of the header, in order, as one list. `None` if any is malformed.
///
/// ```
/// use uniws::proto::deflate::parse_extensions;
/// let list = parse_extensions([&b"permessage-deflate; client_max_window_bits=\"10\", x-other"[..]]).unwrap();
/// assert_eq!(list[0].params, [("client_max_window_bits".to_owned(), Some("10".to_owned()))]);
/// assert_eq!(list[1].name, "x-other");
/// assert!(parse_extensions([&b"permessage-deflate; =1"[..]]).is_none());
/// ```
pub fn parse_extensions<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<Extension>> {
    let mut list = Vec::new();
    for value in values {
        Parser { input: value, at: 0 }.list(&mut list)?;
    }
    Some(list)
}

struct Parser<'a> {
    input: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    /// `1#element`, with the empty elements RFC 7230 §7 tells recipients to accept.
    fn list(&mut self, list: &mut Vec<Extension>) -> Option<()> {
        loop {
            self.skip_space();
            match self.peek() {
                None => return Some(()),
                Some(b',') => self.at += 1,
                Some(_) => {
                    list.push(self.extension()?);
                    self.skip_space();
                    match self.peek() {
                        None => return Some(()),
                        Some(b',') => self.at += 1,
                        Some(_) => return None,
                    }
                }
            }
        }
    }

    fn extension(&mut self) -> Option<Extension> {
        let name = self.token()?;
        let mut params = Vec::new();
        loop {
            self.skip_space();
            if self.peek() != Some(b';') {
                return Some(Extension { name, params });
            }
            self.at += 1;
            self.skip_space();
            let param = self.token()?;
            self.skip_space();
            let value = if self.peek() == Some(b'=') {
                self.at += 1;
                self.skip_space();
                Some(if self.peek() == Some(b'"') { self.quoted()? } else { self.token()? })
            } else {
                None
            };
            params.push((param, value));
        }
    }

    fn token(&mut self) -> Option<String> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        (self.at > start).then(|| String::from_utf8_lossy(&self.input[start..self.at]).into_owned())
    }

    /// A quoted-string, unescaped; only printable ASCII inside.
    fn quoted(&mut self) -> Option<String> {
        self.at += 1;
        let mut text = String::new();
        loop {
            let byte = self.peek()?;
            self.at += 1;
            match byte {
                b'"' => return Some(text),
                b'\\' => {
                    let escaped = self.peek().filter(|b| matches!(b, b'\t' | b' '..=b'~'))?;
                    self.at += 1;
                    text.push(escaped as char);
                }
                b'\t' | b' '..=b'~' => text.push(byte as char),
                _ => return None,
            }
        }
    }
}

/// RFC 7230's `tchar`.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}
