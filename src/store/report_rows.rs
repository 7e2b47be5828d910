//! What `chipwatch report` reads besides the stories themselves: the articles behind each
//! story, and each feed's health with when it last brought a new article.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;

use super::events::to_json;
use super::feeds::{feed_from_row, FEED_COLUMNS};
use super::{format_time, time_column, Store, StoreError};
use crate::model::{FeedActivity, StorySource};

impl Store {
    /// The articles reporting each of `story_ids`, oldest first, one entry per article.
    pub fn story_sources(
        &self,
        story_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<StorySource>>, StoreError> {
        let context = "reading the articles of stories";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.story_id, a.url, a.title, a.site, a.published_date,
                        max(e.hedged) AS hedged
                 FROM events e JOIN articles a ON a.id = e.article_id
                 WHERE e.story_id IN (SELECT value FROM json_each(?1))
                 GROUP BY e.story_id, a.id
                 ORDER BY e.story_id, a.published_date IS NULL, a.published_date,
                          a.published, a.id",
            )
            .map_err(StoreError::sqlite(context))?;
        let rows = stmt
            .query_map([to_json(&story_ids)?], |row| {
                let published: Option<String> = row.get("published_date")?;
                Ok(StorySource {
                    story_id: row.get("story_id")?,
                    url: row.get("url")?,
                    title: row.get("title")?,
                    site_name: row.get("site")?,
                    published: published
                        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                    hedged: row.get("hedged")?,
                })
            })
            .map_err(StoreError::sqlite(context))?;
        let mut by_story: HashMap<i64, Vec<StorySource>> = HashMap::new();
        for row in rows {
            let source = row.map_err(StoreError::sqlite(context))?;
            by_story.entry(source.story_id).or_default().push(source);
        }
        Ok(by_story)
    }

    /// Every feed with its health, when it was added, and when it last brought a new
    /// article stored no later than `until` (any time when `None`), by name.
    pub fn feed_activity(
        &self,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<FeedActivity>, StoreError> {
        let context = "reading feed activity";
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {FEED_COLUMNS}, last_error_class, created_at,
                        (SELECT max(a.fetched_at)
                         FROM article_feeds af JOIN articles a ON a.id = af.article_id
                         WHERE af.feed_id = f.id AND (?1 IS NULL OR a.fetched_at <= ?1))
                        AS last_new_article_at
                 FROM feeds f ORDER BY name"
            ))
            .map_err(StoreError::sqlite(context))?;
        let rows = stmt
            .query_map(params![until.map(format_time)], |row| {
                Ok(FeedActivity {
                    feed: feed_from_row(row)?,
                    last_error_class: row.get("last_error_class")?,
                    created_at: time_column(row, "created_at")?,
                    last_new_article_at: time_column(row, "last_new_article_at")?,
                })
            })
            .map_err(StoreError::sqlite(context))?;
        rows.collect::<Result<_, _>>()
            .map_err(StoreError::sqlite(context))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::super::testing::{article, chip_order, export_control, spec, temp_store};
    use super::*;
    use crate::store::StoryFilter;

    #[test]
    fn each_story_lists_its_articles_oldest_first_and_feeds_their_last_new_article() {
        let (_dir, mut store) = temp_store();
        store
            .sync_config_feeds(&[spec("wire"), spec("quiet")])
            .unwrap();
        let wire = store
            .feeds()
            .unwrap()
            .into_iter()
            .find(|f| f.spec.name == "wire");
        let wire = wire.unwrap().id;
        let (a, b) = ("https://b.example/later", "https://a.example/first");
        let mut later = article(a, 12);
        later.site = None;
        store
            .insert_article(Some(wire), None, &later, &[chip_order(a, 12)])
            .unwrap();
        store
            .insert_article(
                Some(wire),
                None,
                &article(b, 9),
                &[chip_order(b, 9), export_control(b, 9)],
            )
            .unwrap();
        let stories = store.stories(&StoryFilter::default()).unwrap();
        assert_eq!(stories.len(), 2);
        let ids: Vec<i64> = stories.iter().map(|s| s.id).collect();
        let sources = store.story_sources(&ids).unwrap();
        let order = stories.iter().find(|s| s.record.articles == 2).unwrap();
        let urls: Vec<&str> = sources[&order.id].iter().map(|s| s.url.as_str()).collect();
        assert_eq!(urls, [b, a], "oldest first");
        let first = &sources[&order.id][0];
        assert_eq!(first.title.as_deref(), Some("Baidu orders Huawei AI chips"));
        assert_eq!(first.site_name.as_deref(), Some("Example News"));
        assert_eq!(first.published, NaiveDate::from_ymd_opt(2023, 11, 9));
        assert!(first.hedged);
        assert_eq!(sources[&order.id][1].site_name, None);
        assert!(store.story_sources(&[]).unwrap().is_empty());

        let activity = store.feed_activity(None).unwrap();
        let names: Vec<&str> = activity.iter().map(|f| f.feed.spec.name.as_str()).collect();
        assert_eq!(names, ["quiet", "wire"]);
        assert_eq!(activity[0].last_new_article_at, None);
        assert!(activity[0].created_at.is_some());
        assert!(activity[1].last_new_article_at.is_some());
        let long_ago = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
        let then = store.feed_activity(Some(long_ago)).unwrap();
        assert_eq!(then[1].last_new_article_at, None, "nothing stored by then");
    }
}
