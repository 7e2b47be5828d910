//! `events.story_id` and the `stories` rows: placing newly stored events into stories in
//! the article's own transaction, regrouping every story after `reprocess`, and writing
//! the merged records. The pure `stories` stage decides; this file fetches what it needs
//! and writes what it decided.
//!
//! A new (or removed, or changed) event can only change where events after it in the
//! canonical order go (see `stories`), so placing it reads: the events of its group from
//! its day on, every story one of them could join (found by the date windows and
//! effective dates that compatibility needs), and all the members of those stories.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use rusqlite::{params, Connection, Row};

use super::events::{day, event_from_row, to_json};
use super::story_rows::{insert_story, read_stories, update_story};
use super::{format_time, parsed_column, Store, StoreError};
use crate::model::{EventDetails, PartialDate};
use crate::stories::{
    assign_ids, group_key, merge, regroup, GroupKey, Member, Regrouped, Story, CONTROL_WINDOW_DAYS,
    ORDER_WINDOW_DAYS,
};

/// A story that a write created or changed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryChange {
    pub story: Story,
    pub created: bool,
    /// A merged slot or the status changed (the revision grew); always true when created.
    pub revised: bool,
}

/// What regrouping every story did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildSummary {
    /// Stories after the regrouping.
    pub stories: u64,
    pub created: u64,
    /// Existing stories whose record changed (members, figures, counts).
    pub changed: u64,
    /// Stories that lost all their events (merged into others, or their events gone).
    pub removed: u64,
}

/// The event columns a grouping needs (no evidence text), the story it is in, its
/// fingerprint and its article's publication time.
const MEMBER_COLUMNS: &str = "e.id, e.kind, a.url AS article_url, e.published, \
     '[]' AS evidence, e.spans, e.rule, e.rules_version, e.confidence, e.hedged, e.inferred, \
     e.buyer, e.supplier, e.product, e.quantity, e.value_amount, e.value_currency, \
     e.value_usd, e.delivery, e.status, e.authority, e.agency, e.targets, e.products, \
     e.companies, e.action, e.effective, e.story_id, e.fingerprint, \
     a.published AS article_published";

/// Events outside every group: they stand alone (see `stories::group_key`).
const LONERS: &str = "e.published IS NULL \
     OR (e.kind = 'chip_order' AND (e.buyer IS NULL OR e.supplier IS NULL)) \
     OR (e.kind = 'export_control' AND (e.authority IS NULL OR e.action IS NULL))";

pub(super) struct Loaded {
    member: Member,
    story_id: Option<i64>,
}

fn loaded_from_row(row: &Row<'_>) -> rusqlite::Result<Loaded> {
    let reported = parsed_column(row, "article_published", |s| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
            })
    })?
    // Stored times have whole seconds; so must the records compared with them.
    .and_then(|t| t.with_nanosecond(0));
    Ok(Loaded {
        member: Member {
            event: event_from_row(row)?,
            reported,
            fingerprint: row.get("fingerprint")?,
        },
        story_id: row.get("story_id")?,
    })
}

fn load(
    conn: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Loaded>, StoreError> {
    let context = "reading the events of stories";
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {MEMBER_COLUMNS} FROM events e JOIN articles a ON a.id = e.article_id
             WHERE {condition}"
        ))
        .map_err(StoreError::sqlite(context))?;
    let rows = stmt
        .query_map(params, loaded_from_row)
        .map_err(StoreError::sqlite(context))?;
    rows.collect::<Result<_, _>>()
        .map_err(StoreError::sqlite(context))
}

/// The events of a group, optionally from a day on.
fn load_group(
    conn: &Connection,
    key: &GroupKey,
    from: Option<NaiveDate>,
) -> Result<Vec<Loaded>, StoreError> {
    let from = from.map_or(String::new(), day);
    match key {
        GroupKey::Order { buyer, supplier } => load(
            conn,
            "e.kind = 'chip_order' AND e.buyer = ?1 AND e.supplier = ?2 AND e.published >= ?3",
            params![buyer, supplier, from],
        ),
        GroupKey::Control { authority, action } => load(
            conn,
            "e.kind = 'export_control' AND e.authority = ?1 AND e.action = ?2 \
             AND e.published >= ?3",
            params![authority, action, from],
        ),
    }
}

fn json_ids(ids: impl IntoIterator<Item = i64>) -> Result<String, StoreError> {
    to_json(&ids.into_iter().collect::<Vec<_>>())
}

/// An article's events as stored now, with their stories: what `restory` needs to know
/// about events that a change is about to replace.
pub(super) fn article_members(
    conn: &Connection,
    article_id: i64,
) -> Result<Vec<Loaded>, StoreError> {
    load(conn, "e.article_id = ?1", [article_id])
}

/// Brings the stories up to date, inside the caller's transaction, after one article's
/// events changed: `before` are its events as they were (none for a new article),
/// `after_ids` the ids of its events now. In every group they touch, the events from the
/// earliest of them on are placed again. Returns the stories created or changed.
pub(super) fn restory(
    tx: &Connection,
    before: Vec<Loaded>,
    after_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<StoryChange>, StoreError> {
    let after = if after_ids.is_empty() {
        Vec::new()
    } else {
        load(
            tx,
            "e.id IN (SELECT value FROM json_each(?1))",
            [json_ids(after_ids.iter().copied())?],
        )?
    };
    let touched: BTreeSet<i64> = before
        .iter()
        .chain(&after)
        .filter_map(|l| l.story_id)
        .collect();
    let mut firsts: BTreeMap<GroupKey, Member> = BTreeMap::new();
    let mut stories_of: BTreeMap<GroupKey, BTreeSet<i64>> = BTreeMap::new();
    let mut changes = Vec::new();
    for (loaded, is_after) in before
        .into_iter()
        .map(|l| (l, false))
        .chain(after.into_iter().map(|l| (l, true)))
    {
        let Some(key) = group_key(&loaded.member.event) else {
            if is_after {
                // A story of its own: created, or its record brought up to date.
                let mut old = HashMap::new();
                if let (Some(id), Some(story)) = (loaded.member.event.id, loaded.story_id) {
                    old.insert(id, story);
                }
                let alone = [Regrouped {
                    members: vec![loaded.member],
                }];
                changes.extend(write_regrouped(tx, &alone, &[loaded.story_id], &old, now)?.0);
            }
            continue;
        };
        if let Some(story) = loaded.story_id {
            stories_of.entry(key.clone()).or_default().insert(story);
        }
        match firsts.get(&key) {
            Some(first) if first.order_key() <= loaded.member.order_key() => {}
            _ => {
                firsts.insert(key, loaded.member);
            }
        }
    }
    for (key, first) in firsts {
        let stories = stories_of.remove(&key).unwrap_or_default();
        changes.extend(place_from(tx, &key, &first, stories, now)?);
    }
    // Stories the change emptied: their events were removed, or left for a group.
    for id in touched {
        tx.execute(
            "DELETE FROM stories WHERE id = ?1
             AND NOT EXISTS (SELECT 1 FROM events WHERE story_id = ?1)",
            [id],
        )
        .map_err(StoreError::sqlite(format!(
            "removing the emptied story {id}"
        )))?;
    }
    Ok(changes)
}

/// Places again every event of the group from `first` on (in the canonical order),
/// against the stories as they stand for the events before it. `stories` are stories the
/// change touched, looked at whether or not an event could join them.
fn place_from(
    tx: &Connection,
    key: &GroupKey,
    first: &Member,
    mut story_ids: BTreeSet<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<StoryChange>, StoreError> {
    let is_later = |m: &Member| m.order_key() >= first.order_key();
    // Every event from the first touched one on, the new ones included.
    let later: Vec<Loaded> = load_group(tx, key, first.event.published)?
        .into_iter()
        .filter(|l| is_later(&l.member))
        .collect();
    story_ids.extend(candidate_stories(tx, key, first, &later)?);
    story_ids.extend(later.iter().filter_map(|l| l.story_id));

    let mut old_story_of: HashMap<i64, i64> = HashMap::new();
    let mut settled: BTreeMap<i64, Vec<Member>> = BTreeMap::new();
    let mut pending_ids = HashSet::new();
    let mut pending = Vec::new();
    for loaded in later {
        if let (Some(id), Some(story)) = (loaded.member.event.id, loaded.story_id) {
            old_story_of.insert(id, story);
        }
        pending_ids.extend(loaded.member.event.id);
        pending.push(loaded.member);
    }
    for loaded in load(
        tx,
        "e.story_id IN (SELECT value FROM json_each(?1))",
        [json_ids(story_ids)?],
    )? {
        let (Some(id), Some(story)) = (loaded.member.event.id, loaded.story_id) else {
            continue;
        };
        if pending_ids.contains(&id) {
            continue;
        }
        old_story_of.insert(id, story);
        if is_later(&loaded.member) {
            pending.push(loaded.member);
        } else {
            settled.entry(story).or_default().push(loaded.member);
        }
    }
    let regrouped = regroup(settled.into_values().collect(), pending);
    let ids = assign_ids(&regrouped, &old_story_of);
    let (changes, unused) = write_regrouped(tx, &regrouped, &ids, &old_story_of, now)?;
    // Every member of these stories was placed again, elsewhere: they are empty.
    for id in unused {
        tx.execute("DELETE FROM stories WHERE id = ?1", [id])
            .map_err(StoreError::sqlite(format!(
                "removing the emptied story {id}"
            )))?;
    }
    Ok(changes)
}

/// Stories whose earlier events the events in `later` (from `first` on) could be
/// compatible with: a necessary condition per kind, checked on any one member. Orders
/// are first reported within [`ORDER_WINDOW_DAYS`]; a control is within
/// [`CONTROL_WINDOW_DAYS`] or has an effective date containing or contained in one of
/// theirs.
fn candidate_stories(
    conn: &Connection,
    key: &GroupKey,
    first: &Member,
    later: &[Loaded],
) -> Result<BTreeSet<i64>, StoreError> {
    let Some(first_day) = first.event.published else {
        return Ok(BTreeSet::new());
    };
    let context = "looking for the stories an event may join";
    let collect = |sql: &str, params: &[&dyn rusqlite::ToSql]| {
        let mut stmt = conn
            .prepare_cached(sql)
            .map_err(StoreError::sqlite(context))?;
        let rows = stmt
            .query_map(params, |r| r.get::<_, i64>(0))
            .map_err(StoreError::sqlite(context))?;
        rows.collect::<Result<BTreeSet<i64>, _>>()
            .map_err(StoreError::sqlite(context))
    };
    match key {
        GroupKey::Order { buyer, supplier } => collect(
            "SELECT DISTINCT story_id FROM events
             WHERE kind = 'chip_order' AND buyer = ?1 AND supplier = ?2 AND published >= ?3
               AND story_id IS NOT NULL",
            &[
                buyer,
                supplier,
                &day(first_day - Duration::days(ORDER_WINDOW_DAYS)),
            ],
        ),
        GroupKey::Control { authority, action } => {
            let mut exact = BTreeSet::new();
            let mut within = BTreeSet::new();
            for loaded in later {
                if let EventDetails::ExportControl(c) = &loaded.member.event.details {
                    if let Some(effective) = c.effective {
                        exact.extend(containing(effective).iter().map(ToString::to_string));
                        within.insert(format!("{effective}-%"));
                    }
                }
            }
            collect(
                "SELECT DISTINCT story_id FROM events
                 WHERE kind = 'export_control' AND authority = ?1 AND action = ?2
                   AND story_id IS NOT NULL
                   AND (published >= ?3
                        OR effective IN (SELECT value FROM json_each(?4))
                        OR EXISTS (SELECT 1 FROM json_each(?5) p WHERE effective LIKE p.value))",
                &[
                    authority,
                    action,
                    &day(first_day - Duration::days(CONTROL_WINDOW_DAYS)),
                    &to_json(&exact)?,
                    &to_json(&within)?,
                ],
            )
        }
    }
}

/// A partial date and every coarser one that contains it (2023-10-17, 2023-10, 2023).
fn containing(date: PartialDate) -> Vec<PartialDate> {
    use chrono::Datelike;
    match date {
        PartialDate::Year(_) => vec![date],
        PartialDate::Month(y, _) => vec![date, PartialDate::Year(y)],
        PartialDate::Day(d) => vec![
            date,
            PartialDate::Month(d.year(), d.month()),
            PartialDate::Year(d.year()),
        ],
    }
}

/// Writes regrouped stories: each takes the id given (an existing story, whose record
/// and revision are updated when they changed) or a new one, and its members point to
/// it. Returns the changes and the old story ids (from `old_story_of`) no story kept.
fn write_regrouped(
    tx: &Connection,
    stories: &[Regrouped],
    ids: &[Option<i64>],
    old_story_of: &HashMap<i64, i64>,
    now: DateTime<Utc>,
) -> Result<(Vec<StoryChange>, BTreeSet<i64>), StoreError> {
    let old_ids: BTreeSet<i64> = old_story_of.values().copied().collect();
    let previous = read_stories(tx, &old_ids)?;
    let mut kept = BTreeSet::new();
    let mut changes = Vec::new();
    for (story, id) in stories.iter().zip(ids) {
        let Some(record) = merge(&story.members) else {
            continue;
        };
        let story_id = match id.and_then(|id| previous.get(&id)) {
            Some(before) => {
                kept.insert(before.id);
                if before.record != record {
                    let revised = before.record.details != record.details;
                    let changed = Story {
                        id: before.id,
                        record,
                        revision: before.revision + u32::from(revised),
                        updated_at: now,
                    };
                    update_story(tx, &changed)?;
                    changes.push(StoryChange {
                        story: changed,
                        created: false,
                        revised,
                    });
                }
                before.id
            }
            None => {
                let created = insert_story(tx, record, now)?;
                let id = created.id;
                changes.push(StoryChange {
                    story: created,
                    created: true,
                    revised: true,
                });
                id
            }
        };
        let moved: Vec<i64> = story
            .members
            .iter()
            .filter_map(|m| m.event.id)
            .filter(|event| old_story_of.get(event) != Some(&story_id))
            .collect();
        if !moved.is_empty() {
            let moved = json_ids(moved)?;
            tx.prepare_cached(
                "UPDATE events SET story_id = ?1 WHERE id IN (SELECT value FROM json_each(?2))",
            )
            .and_then(|mut update| update.execute(params![story_id, moved]))
            .map_err(StoreError::sqlite(format!(
                "assigning events to story {story_id}"
            )))?;
        }
    }
    Ok((changes, old_ids.difference(&kept).copied().collect()))
}

impl Store {
    /// Whether the stories must be regrouped before they can be trusted: events without
    /// a story (a database from before stories), or a `reprocess` that changed events.
    pub fn stories_need_rebuild(&self) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM story_rebuilds)
                     OR EXISTS (SELECT 1 FROM events WHERE story_id IS NULL)",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::sqlite(
                "checking whether stories need regrouping",
            ))
    }

    /// Regroups every event into stories from scratch, in one transaction, as if the
    /// articles had arrived in any order: what `reprocess` ends with. Stories keep their
    /// id when they survive (the new story sharing most events with an old one takes
    /// its id); revisions grow where a merged slot or the status changed.
    pub fn rebuild_stories(&mut self) -> Result<RebuildSummary, StoreError> {
        let context = "regrouping stories";
        let now = Utc::now();
        let tx = self.conn.savepoint().map_err(StoreError::sqlite(context))?;
        let keys: BTreeSet<GroupKey> = {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT DISTINCT e.kind, e.buyer, e.supplier, e.authority, e.action
                     FROM events e WHERE NOT ({LONERS})"
                ))
                .map_err(StoreError::sqlite(context))?;
            let rows = stmt
                .query_map([], |r| {
                    let kind: String = r.get(0)?;
                    Ok(if kind == "chip_order" {
                        GroupKey::Order {
                            buyer: r.get(1)?,
                            supplier: r.get(2)?,
                        }
                    } else {
                        GroupKey::Control {
                            authority: r.get(3)?,
                            action: r.get(4)?,
                        }
                    })
                })
                .map_err(StoreError::sqlite(context))?;
            rows.collect::<Result<_, _>>()
                .map_err(StoreError::sqlite(context))?
        };
        let mut summary = RebuildSummary::default();
        let mut taken = HashSet::new();
        let mut regroup_all = |loaded: Vec<Loaded>, grouped: bool| -> Result<(), StoreError> {
            let mut old_story_of = HashMap::new();
            let mut members = Vec::with_capacity(loaded.len());
            for l in loaded {
                if let (Some(id), Some(story)) = (l.member.event.id, l.story_id) {
                    old_story_of.insert(id, story);
                }
                members.push(l.member);
            }
            let regrouped = if grouped {
                regroup(Vec::new(), members)
            } else {
                members
                    .into_iter()
                    .map(|m| Regrouped { members: vec![m] })
                    .collect()
            };
            let mut ids = assign_ids(&regrouped, &old_story_of);
            // Old rows that mixed groups must not be taken twice.
            for id in ids.iter_mut() {
                if id.is_some_and(|i| !taken.insert(i)) {
                    *id = None;
                }
            }
            let (changes, _) = write_regrouped(&tx, &regrouped, &ids, &old_story_of, now)?;
            for change in changes {
                if change.created {
                    summary.created += 1;
                } else {
                    summary.changed += 1;
                }
            }
            Ok(())
        };
        for key in &keys {
            regroup_all(load_group(&tx, key, None)?, true)?;
        }
        regroup_all(load(&tx, LONERS, [])?, false)?;
        summary.removed = tx
            .execute(
                "DELETE FROM stories
                 WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.story_id = stories.id)",
                [],
            )
            .map_err(StoreError::sqlite(context))? as u64;
        tx.execute("DELETE FROM story_rebuilds", [])
            .map_err(StoreError::sqlite(context))?;
        summary.stories = tx
            .query_row("SELECT count(*) FROM stories", [], |r| r.get::<_, i64>(0))
            .map_err(StoreError::sqlite(context))? as u64;
        tx.commit().map_err(StoreError::sqlite(context))?;
        Ok(summary)
    }
}

/// Marks the stories for regrouping (inside a transaction that changes events).
pub(super) fn request_rebuild(tx: &Connection) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO story_rebuilds (requested_at)
         SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM story_rebuilds)",
        [format_time(Utc::now())],
    )
    .map_err(StoreError::sqlite("marking the stories for regrouping"))?;
    Ok(())
}
