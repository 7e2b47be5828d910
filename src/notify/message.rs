//! What a delivery sends: the JSON body (the story record with the alert's name, the
//! `update` flag and the idempotency key) or, for chat tools, `{"text": …}`.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::Outgoing;
use crate::config::AlertFormat;
use crate::stories::headline_of_record;

/// The JSON body, the story last and exactly as stored.
#[derive(Serialize)]
struct JsonBody<'a> {
    alert: &'a str,
    idempotency_key: &'a str,
    update: bool,
    story: &'a RawValue,
}

/// The body of one delivery in the alert's format.
pub fn body(format: AlertFormat, outgoing: &Outgoing<'_>) -> Vec<u8> {
    // Plain strings, booleans and valid raw JSON always serialise.
    match format {
        AlertFormat::Json => serde_json::to_vec(&JsonBody {
            alert: outgoing.alert,
            idempotency_key: outgoing.idempotency_key,
            update: outgoing.update,
            story: outgoing.story,
        }),
        AlertFormat::Slack => serde_json::to_vec(&json!({ "text": slack_text(outgoing) })),
    }
    .unwrap_or_default()
}

/// One chat message: what the story says, how widely it is reported, its id; with
/// `&`, `<` and `>` escaped as Slack's message format asks.
pub fn slack_text(outgoing: &Outgoing<'_>) -> String {
    let story: Value = serde_json::from_str(outgoing.story.get()).unwrap_or(Value::Null);
    let story = &story;
    let kind = match story.get("kind").and_then(Value::as_str) {
        Some("chip_order") => "chip order",
        Some("export_control") => "export control",
        _ => "story",
    };
    let what = headline_of_record(story).unwrap_or_else(|| "(no summary)".to_string());
    let number = |key: &str| story.get(key).and_then(Value::as_u64).unwrap_or(0);
    let first = story
        .get("first_reported")
        .and_then(Value::as_str)
        .map(|t| t.get(..10).unwrap_or(t).to_string())
        .unwrap_or_else(|| "an unknown day".to_string());
    let opening = if outgoing.update {
        format!("Updated {kind} (revision {})", number("revision"))
    } else {
        format!("New {kind}")
    };
    let text = format!(
        "{opening}: {what} — {} article{} on {} site{}, first reported {first} (story {})",
        number("articles"),
        if number("articles") == 1 { "" } else { "s" },
        number("sites"),
        if number("sites") == 1 { "" } else { "s" },
        number("id"),
    );
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn story() -> Box<RawValue> {
        serde_json::value::to_raw_value(&json!({
            "id": 7, "kind": "chip_order", "buyer": "Baidu", "supplier": "Huawei",
            "product": "Ascend 910B", "quantity": 1600,
            "value": {"amount": 61830000, "currency": "USD"}, "value_usd": 61830000,
            "delivery": "2023-12-31", "disagreements": {},
            "first_reported": "2023-11-09T00:00:00Z", "last_reported": "2023-11-13T14:05:00Z",
            "articles": 3, "sites": 3, "confidence": 0.85, "hedged": false, "status": "placed",
            "inferred": [], "revision": 2, "updated_at": "2026-12-03T11:09:23Z"
        }))
        .unwrap()
    }

    #[test]
    fn json_bodies_carry_the_story_the_flag_and_the_key() {
        let story = story();
        let outgoing = Outgoing {
            alert: "chat",
            idempotency_key: "story-7-rev-2",
            update: true,
            story: &story,
        };
        let text = body(AlertFormat::Json, &outgoing);
        let sent: Value = serde_json::from_slice(&text).unwrap();
        let story_value: Value = serde_json::from_str(story.get()).unwrap();
        assert_eq!(sent["story"], story_value);
        assert!(
            String::from_utf8(text)
                .unwrap()
                .ends_with(&format!(r#""story":{}}}"#, story.get())),
            "the story goes out verbatim"
        );
        assert_eq!(sent["update"], true);
        assert_eq!(sent["idempotency_key"], "story-7-rev-2");
        assert_eq!(sent["alert"], "chat");
    }

    #[test]
    fn chat_bodies_are_one_escaped_line_of_text() {
        let mut story: Value = serde_json::from_str(story().get()).unwrap();
        let outgoing = |story: &Value, update| {
            let story = serde_json::value::to_raw_value(story).unwrap();
            let sent: Value = serde_json::from_slice(&body(
                AlertFormat::Slack,
                &Outgoing {
                    alert: "chat",
                    idempotency_key: "k",
                    update,
                    story: &story,
                },
            ))
            .unwrap();
            assert_eq!(sent.as_object().unwrap().len(), 1, "{sent}");
            sent["text"].as_str().unwrap().to_string()
        };
        assert_eq!(
            outgoing(&story, false),
            "New chip order: Baidu orders from Huawei: 1600 × Ascend 910B, 61830000 USD, \
             delivery 2023-12-31 — 3 articles on 3 sites, first reported 2023-11-09 (story 7)"
        );
        story["buyer"] = json!("AT&T <Labs>");
        let text = outgoing(&story, true);
        assert!(
            text.starts_with("Updated chip order (revision 2): AT&amp;T &lt;Labs&gt; orders"),
            "{text}"
        );
    }
}
