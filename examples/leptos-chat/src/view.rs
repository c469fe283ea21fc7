//! The page: the JavaScript page's markup (and its style sheet, and the element ids its test
//! uses), as Leptos components over the [`Chat`] signals.

use leptos::html::Ol;
use leptos::prelude::*;

use crate::chat::{Chat, FRAME_SIZE, PROTOCOL, Status};

/// Where the name is kept between visits: the JavaScript page's key, so that both pages of
/// one browser use the same name.
const NAME_KEY: &str = "uniws-name";

#[component]
pub fn App() -> impl IntoView {
    let chat = Chat::new(saved_name());
    let url = chat_url();
    chat.connect(url.clone());
    view! {
        <header class="bar">
            <div class="brand">
                <span class="logo">"◉"</span>" uniws "<span class="muted">"chat · Rust and Leptos"</span>
            </div>
            <div id="status" class=move || chat.status.get().class() data-state=move || chat.status.get().state()>
                {move || chat.status.get().label()}
            </div>
        </header>
        <main class="layout">
            <Panel chat url/>
            <Conversation chat/>
        </main>
    }
}

/// The connection's facts, the name and the buttons.
#[component]
fn Panel(chat: Chat, url: String) -> impl IntoView {
    let open = move || chat.status.get() == Status::Open;
    let down = move || matches!(chat.status.get(), Status::Closed | Status::Offline);
    let shown_url = url.clone();
    view! {
        <aside class="panel">
            <h2>"Connection"</h2>
            <dl class="facts">
                <dt>"Server"</dt><dd id="url">{shown_url}</dd>
                // `Reconnecting` does not say which subprotocol the server chose: this is
                // the one asked for (Chromium fails a connection whose server chooses none).
                <dt>"Subprotocol asked"</dt><dd id="protocol">{PROTOCOL}</dd>
                <dt>"Max frame size"</dt><dd id="frame-size">{format!("{} KiB", FRAME_SIZE >> 10)}</dd>
                <dt>"People here"</dt>
                <dd id="clients">{move || chat.clients.get().map_or("—".into(), |n| n.to_string())}</dd>
                <dt>"Last close"</dt>
                <dd id="close">{move || chat.last_close.get().unwrap_or_else(|| "—".into())}</dd>
            </dl>
            <label class="field">"Your name"
                <input id="name" maxlength="32" autocomplete="nickname" prop:value=move || chat.name.get()
                    on:change=move |event| {
                        let name = event_target_value(&event);
                        save_name(&name);
                        chat.name.set(name);
                    }/>
            </label>
            <div class="actions">
                <button id="large" type="button" disabled=move || !open() on:click=move |_| chat.send_large()
                    title="Sends 3 MiB through send_all: the browser sends it as one message, the server passes it on in frames of at most the frame size">
                    "Send 3 MiB through send_all"
                </button>
                <button id="connect" type="button" class="secondary" disabled=move || !down()
                    on:click=move |_| chat.connect(url.clone())>"Connect"</button>
                <button id="disconnect" type="button" class="secondary" disabled=move || !open()
                    on:click=move |_| chat.disconnect()>"Disconnect"</button>
            </div>
            <p class="hint">"The chat of the "<a href="../">"JavaScript page"</a>" written in Rust: the same
                room, so open both. When the connection drops, uniws's Reconnecting connects
                again; the pill shows the attempts."</p>
        </aside>
    }
}

/// The log, fed by the message stream, and the composer.
#[component]
fn Conversation(chat: Chat) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let open = move || chat.status.get() == Status::Open;
    let log = NodeRef::<Ol>::new();
    // The newest line in view, once the list has been drawn with it.
    Effect::new(move || {
        chat.log.track();
        request_animation_frame(move || {
            if let Some(log) = log.get_untracked() {
                log.set_scroll_top(log.scroll_height());
            }
        });
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let said = text.get_untracked().trim().to_owned();
        if !said.is_empty() {
            text.set(String::new());
            chat.say(said);
        }
    };
    view! {
        <section class="chat">
            <ol id="log" class="log" aria-live="polite" node_ref=log>
                <For each=move || chat.log.get() key=|entry| entry.id let:entry>
                    <li class=entry.kind.class()>
                        {entry.who.map(|who| view! { <span class="who">{who}</span> })}
                        {entry.text}
                    </li>
                </For>
            </ol>
            <form id="composer" class="composer" autocomplete="off" on:submit=submit>
                <input id="text" placeholder="Say something…" maxlength="2000" disabled=move || !open()
                    bind:value=text/>
                <button id="send" type="submit" disabled=move || !open()>"Send"</button>
            </form>
        </section>
    }
}

/// The chat endpoint of the server that served the page.
fn chat_url() -> String {
    let location = window().location();
    let scheme = if location.protocol().is_ok_and(|p| p == "https:") { "wss" } else { "ws" };
    format!("{scheme}://{}/chat", location.host().unwrap_or_default())
}

/// The name saved by either page, or a new one.
fn saved_name() -> String {
    let saved = window().local_storage().ok().flatten().and_then(|s| s.get_item(NAME_KEY).ok().flatten());
    saved.unwrap_or_else(|| {
        const NAMES: [&str; 8] = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances"];
        let pick = |n: f64| (js_sys::Math::random() * n) as usize;
        format!("{}-{}", NAMES[pick(NAMES.len() as f64)], 10 + pick(90.0))
    })
}

fn save_name(name: &str) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        // A full or forbidden storage only costs the name at the next visit.
        let _ = storage.set_item(NAME_KEY, name);
    }
}
