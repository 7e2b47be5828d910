//! One feed item: skip it when already stored (linking it to this feed too), else fetch
//! its page (guard, robots.txt, caps), extract the text, fall back to the feed's own
//! content when the page is unavailable or too thin, match the rules, and store the
//! article with its events in one transaction.

use std::sync::Arc;

use tracing::{debug, instrument, warn};

use super::log_new_events;
use super::pass::{PassContext, PassError};
use super::stages::Stage;
use crate::extract::{extract_page, fragment_to_text, ExtractedPage, MIN_PAGE_TEXT_CHARS};
use crate::fetch::{ArticleFetch, FetchError};
use crate::model::{Article, EventKind, FeedItem, FeedState, Published, TextSource};
use crate::store::StoreError;

/// How the article's text was obtained, for the pass counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextOutcome {
    Page,
    FeedFallback,
    RobotsDisallowed,
    GuardRefused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ArticleOutcome {
    /// Stored before (by this feed or another).
    Known,
    /// No link, or neither page nor feed gave any text (`text_outcome` says why the page
    /// was not used, when there was a page to try).
    Unusable { text_outcome: Option<TextOutcome> },
    /// Stored, but its language is not one the rule packs cover.
    LanguageNotMatched { text_outcome: TextOutcome },
    Stored {
        events: Vec<EventKind>,
        text_outcome: TextOutcome,
    },
}

#[instrument(skip_all, fields(url = item.url.as_deref().unwrap_or("-")))]
pub(super) async fn article_job(
    ctx: &Arc<PassContext>,
    feed: &FeedState,
    item: FeedItem,
) -> Result<ArticleOutcome, PassError> {
    let Some(url) = item.url.clone() else {
        debug!(
            guid = item.guid.as_deref().unwrap_or("-"),
            "item has no http(s) link; skipped"
        );
        return Ok(ArticleOutcome::Unusable { text_outcome: None });
    };
    // Held until the article is stored: bounds the pages in memory across all feeds.
    // The semaphore is never closed; if it were, the job would just run.
    let _slot = ctx.budget.articles.acquire().await;
    let feed_id = feed.id;
    let (lookup_url, lookup_guid) = (url.clone(), item.guid.clone());
    let known = ctx
        .with_store(move |s| {
            let found =
                s.article_id_by_url_or_guid(feed_id, Some(&lookup_url), lookup_guid.as_deref())?;
            if let Some(id) = found {
                s.link_article_to_feed(id, feed_id, lookup_guid.as_deref())?;
            }
            Ok(found)
        })
        .await?;
    if known.is_some() {
        return Ok(ArticleOutcome::Known);
    }

    let (page, text_outcome) = if feed.spec.fetch_articles {
        fetch_page(ctx, &url).await
    } else {
        (None, TextOutcome::FeedFallback)
    };
    let Some(article) = build_article(ctx, &url, &item, page).await? else {
        debug!("neither the page nor the feed item gave any text; not stored");
        return Ok(ArticleOutcome::Unusable {
            text_outcome: Some(text_outcome),
        });
    };
    let text_outcome = match (article.text_source, text_outcome) {
        (TextSource::Feed, TextOutcome::Page) => TextOutcome::FeedFallback,
        (_, outcome) => outcome,
    };

    let language_matched = article
        .lang
        .as_deref()
        .is_none_or(|l| ctx.rules.covers_language(l));
    let (article, events) = if language_matched {
        let rules = Arc::clone(&ctx.rules);
        ctx.cpu(Stage::Rules, move || {
            let mut events =
                rules.extract_events(&article.text, article.published.map(|p| p.date()));
            for event in &mut events {
                event.article_url = article.url.clone();
            }
            (article, events)
        })
        .await?
    } else {
        (article, Vec::new())
    };

    let guid = item.guid.clone();
    let inserted = ctx
        .with_store(move |s| {
            match s.insert_article(Some(feed_id), guid.as_deref(), &article, &events) {
                // Another feed's job stored the same article while this one was fetching
                // it (two feeds carrying one story): link it, as if it had been known.
                Err(StoreError::ArticleExists { url }) => {
                    if let Some(id) = s.article_id_by_url_or_guid(feed_id, Some(&url), None)? {
                        s.link_article_to_feed(id, feed_id, guid.as_deref())?;
                    }
                    Ok(None)
                }
                other => other.map(Some),
            }
        })
        .await?;
    let Some((article_id, stored)) = inserted else {
        debug!("stored meanwhile by another feed's job; linked");
        return Ok(ArticleOutcome::Known);
    };
    let kinds: Vec<EventKind> = stored.iter().map(|e| e.kind()).collect();
    debug!(article_id, events = kinds.len(), source = ?text_outcome, "article stored");
    log_new_events(&stored);
    if !language_matched {
        return Ok(ArticleOutcome::LanguageNotMatched { text_outcome });
    }
    Ok(ArticleOutcome::Stored {
        events: kinds,
        text_outcome,
    })
}

/// The page's extraction, or `None` with the reason the feed content must do.
async fn fetch_page(ctx: &Arc<PassContext>, url: &str) -> (Option<ExtractedPage>, TextOutcome) {
    match ctx.fetcher.fetch_article(url).await {
        Ok(ArticleFetch::Fetched(fetched)) => {
            let is_html = fetched.content_type.as_deref().is_none_or(|ct| {
                let ct = ct.to_ascii_lowercase();
                ct.contains("html") || ct.contains("xml") || ct.starts_with("text/")
            });
            if !is_html {
                debug!(content_type = ?fetched.content_type, "page is not HTML; using the feed content");
                return (None, TextOutcome::FeedFallback);
            }
            let final_url = fetched.final_url.clone();
            let page = ctx
                .cpu(Stage::Extract, move || {
                    extract_page(&fetched.body, fetched.charset.as_deref(), Some(&final_url))
                })
                .await;
            match page {
                Ok(page) => (Some(page), TextOutcome::Page),
                Err(e) => {
                    warn!(error = %e, "extraction failed; using the feed content");
                    (None, TextOutcome::FeedFallback)
                }
            }
        }
        Ok(ArticleFetch::DisallowedByRobots) => {
            debug!("robots.txt disallows the page; using the feed content");
            (None, TextOutcome::RobotsDisallowed)
        }
        Err(FetchError::Refused { reason, .. }) => {
            debug!(
                reason,
                "page refused by the address guard; using the feed content"
            );
            (None, TextOutcome::GuardRefused)
        }
        Err(e) => {
            debug!(error = %e, "page fetch failed; using the feed content");
            (None, TextOutcome::FeedFallback)
        }
    }
}

/// Joins page and feed item: page text when there is enough of it, else the feed's own
/// content; metadata from the page first, then the feed item.
async fn build_article(
    ctx: &Arc<PassContext>,
    url: &str,
    item: &FeedItem,
    page: Option<ExtractedPage>,
) -> Result<Option<Article>, PassError> {
    let page_is_enough = page
        .as_ref()
        .is_some_and(|p| p.text.chars().count() >= MIN_PAGE_TEXT_CHARS);
    // The feed's own text is read only when the page may not do.
    let feed_text = match item.content.clone() {
        Some(content) if !page_is_enough => {
            ctx.cpu(Stage::Extract, move || fragment_to_text(&content))
                .await?
        }
        _ => String::new(),
    };
    let feed_published = item.published.map(Published::Time);
    let article = match page {
        Some(page) if page_is_enough || feed_text.trim().is_empty() => {
            if page.text.trim().is_empty() {
                return Ok(None);
            }
            Article {
                url: Some(url.to_string()),
                canonical_url: page.canonical_url,
                title: page.title.or_else(|| item.title.clone()),
                published: page.published.or(feed_published),
                author: page.author.or_else(|| item.author.clone()),
                site: page.site,
                lang: page.lang,
                text: page.text,
                text_source: TextSource::Page,
            }
        }
        page => {
            if feed_text.trim().is_empty() {
                return Ok(None);
            }
            let page = page.unwrap_or_else(empty_page);
            Article {
                url: Some(url.to_string()),
                canonical_url: page.canonical_url,
                title: page.title.or_else(|| item.title.clone()),
                published: page.published.or(feed_published),
                author: page.author.or_else(|| item.author.clone()),
                site: page.site,
                lang: page.lang,
                text: feed_text,
                text_source: TextSource::Feed,
            }
        }
    };
    Ok(Some(article))
}

fn empty_page() -> ExtractedPage {
    ExtractedPage {
        title: None,
        published: None,
        author: None,
        site: None,
        lang: None,
        canonical_url: None,
        text: String::new(),
    }
}
