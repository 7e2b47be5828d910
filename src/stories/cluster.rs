//! Which story each event joins. Events are placed one by one in the canonical order
//! ([`Member::order_key`]); each joins the story whose every member it is compatible
//! with and whose merged record it agrees with most, or starts a new one. The result
//! depends on the set of events only: a late event leaves the placement of everything
//! before it untouched, so the store re-places only what follows it ([`regroup`] with
//! the earlier events `settled`). Story ids follow the events ([`assign_ids`]).

use std::collections::HashMap;

use super::matching::compatible;
use super::record::{agreement, merge};
use super::{group_key, GroupKey, Member};

/// One story as regrouped: its members in canonical order.
#[derive(Debug, Clone, PartialEq)]
pub struct Regrouped {
    pub members: Vec<Member>,
}

/// Places `pending` events, in canonical order, into the `settled` stories (the events
/// placed before, all earlier in the order than the first pending one) and into new
/// stories. An event joins the story that is compatible with it member by member and
/// whose merged slots it states most often; ties go to the story reported first.
/// Returns every story with members, in the order of their first members.
pub fn regroup(settled: Vec<Vec<Member>>, mut pending: Vec<Member>) -> Vec<Regrouped> {
    let mut drafts: Vec<Vec<Member>> = settled.into_iter().filter(|s| !s.is_empty()).collect();
    for draft in &mut drafts {
        draft.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    }
    // Stories by group: an event can only join one of its own group.
    let mut by_group: HashMap<GroupKey, Vec<usize>> = HashMap::new();
    for (index, draft) in drafts.iter().enumerate() {
        if let Some(key) = draft.first().and_then(|m| group_key(&m.event)) {
            by_group.entry(key).or_default().push(index);
        }
    }
    pending.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    for event in pending {
        let Some(key) = group_key(&event.event) else {
            drafts.push(vec![event]);
            continue;
        };
        let candidates = by_group.entry(key).or_default();
        let mut best: Option<(usize, usize)> = None;
        for &index in candidates.iter() {
            let draft = &drafts[index];
            if !draft.iter().all(|member| compatible(member, &event)) {
                continue;
            }
            let score = merge(draft).map_or(0, |r| agreement(&event.event.details, &r.details));
            let better = match best {
                None => true,
                Some((best_score, best_index)) => {
                    score > best_score
                        || (score == best_score
                            && draft[0].order_key() < drafts[best_index][0].order_key())
                }
            };
            if better {
                best = Some((score, index));
            }
        }
        match best {
            // Pending events come in order, so pushing keeps the draft sorted.
            Some((_, index)) => drafts[index].push(event),
            None => {
                candidates.push(drafts.len());
                drafts.push(vec![event]);
            }
        }
    }
    drafts.sort_by(|a, b| a[0].order_key().cmp(&b[0].order_key()));
    drafts
        .into_iter()
        .map(|members| Regrouped { members })
        .collect()
}

/// The id each regrouped story takes: that of the old story it shares the most events
/// with (an old id goes to one story only; ties go to the smaller old id, then to the
/// story reported first); `None` for a story to create. `old_story_of` maps event ids
/// to the story they were in.
pub fn assign_ids(stories: &[Regrouped], old_story_of: &HashMap<i64, i64>) -> Vec<Option<i64>> {
    let mut shares: Vec<(usize, i64, usize)> = Vec::new();
    for (index, story) in stories.iter().enumerate() {
        let mut counts: HashMap<i64, usize> = HashMap::new();
        for member in &story.members {
            if let Some(old) = member.event.id.and_then(|id| old_story_of.get(&id)) {
                *counts.entry(*old).or_default() += 1;
            }
        }
        shares.extend(counts.into_iter().map(|(old, n)| (n, old, index)));
    }
    shares.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut ids = vec![None; stories.len()];
    let mut taken = std::collections::HashSet::new();
    for (_, old, index) in shares {
        if ids[index].is_none() && taken.insert(old) {
            ids[index] = Some(old);
        }
    }
    ids
}
