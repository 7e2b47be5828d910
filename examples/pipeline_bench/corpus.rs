//! The synthetic corpus: news pages of 30-150 KB (log-uniform, so the median is about
//! 67 KB) with the chrome real sites carry (head metadata, JSON-LD, inline styles and
//! scripts, navigation, a cookie banner, a ticker, share bars, related and most-read
//! lists, comments, a footer, ad slots, teaser cards and JSON data blobs), and RSS and
//! Atom feeds that list them. A few per cent of the stories report a chip order or an
//! export control in one of several phrasings; some items appear in two feeds (the second
//! time with a tracking parameter). Everything is a pure function of the seed and the
//! page number, so a page can be rebuilt at any time instead of kept.

use std::fmt::Write;

/// The corpus's shape; every page and feed is derived from these numbers.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub feeds: usize,
    pub pages: usize,
    pub seed: u64,
}

/// Share of items a feed also carries from the next feed.
const SHARED_PER_FEED: f64 = 0.1;
/// Share of pages that report an event.
const EVENT_PAGES: f64 = 0.04;

const SITES: &[&str] = &[
    "ChipWire",
    "Silicon Ledger",
    "Foundry Post",
    "Wafer Daily",
    "Node Report",
];
const COMPANIES: &[&str] = &[
    "Nvidia",
    "AMD",
    "Intel",
    "TSMC",
    "Samsung",
    "SK Hynix",
    "Micron",
    "Qualcomm",
    "Broadcom",
    "Arm",
    "Apple",
    "ASML",
    "Applied Materials",
    "Lam Research",
    "Tokyo Electron",
    "Infineon",
];
const BUYERS: &[&str] = &[
    "Baidu",
    "Alibaba",
    "Tencent",
    "ByteDance",
    "Microsoft",
    "Meta",
    "Oracle",
    "Amazon",
];
const ORDERS: &[(&str, &str)] = &[
    ("Huawei", "Ascend 910B"),
    ("Nvidia", "H20"),
    ("Nvidia", "H100"),
    ("AMD", "MI300X"),
    ("Intel", "Gaudi 3"),
];
const CONTROLLED: &[&str] = &["A100", "H100", "A800", "H800", "H20", "MI250"];
const PLACES: &[&str] = &[
    "Arizona",
    "Kumamoto",
    "Dresden",
    "Hsinchu",
    "Pyeongtaek",
    "Ohio",
    "Singapore",
];
const PEOPLE: &[&str] = &[
    "Lisa Chen",
    "Mark Weber",
    "Ana Ruiz",
    "Tom Okafor",
    "Yuki Tanaka",
    "Priya Nair",
];
const WEEKDAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const SECTIONS: &[&str] = &[
    "World",
    "Business",
    "Markets",
    "Technology",
    "Semiconductors",
    "Policy",
    "Asia",
    "Europe",
    "Opinion",
    "Data",
    "Video",
    "Podcasts",
    "Newsletters",
    "Events",
    "Careers",
];

/// A small, fast, deterministic generator (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

impl Shape {
    fn rng(&self, what: u64, index: usize) -> Rng {
        Rng::new(self.seed.wrapping_mul(1_000_003) ^ (what << 40) ^ index as u64)
    }

    /// The pages a feed lists, in feed order: its own run of pages, then a few of the
    /// next feed's (shared items).
    pub fn feed_items(&self, feed: usize) -> Vec<(usize, bool)> {
        let own = |f: usize| {
            let start = f * self.pages / self.feeds;
            let end = (f + 1) * self.pages / self.feeds;
            start..end
        };
        let mut items: Vec<(usize, bool)> = own(feed).map(|p| (p, false)).collect();
        let next = own((feed + 1) % self.feeds);
        let shared = ((next.len() as f64) * SHARED_PER_FEED).round() as usize;
        if self.feeds > 1 {
            items.extend(next.take(shared).map(|p| (p, true)));
        }
        items
    }

    /// Whether the page reports an event (a few per cent do).
    pub fn has_event(&self, page: usize) -> bool {
        self.rng(3, page).unit() < EVENT_PAGES
    }

    fn published(&self, page: usize) -> (u32, u32, u32, u32, u32) {
        let mut rng = self.rng(2, page);
        let month = 1 + rng.below(12) as u32;
        let day = 1 + rng.below(28) as u32;
        (2024, month, day, rng.below(24) as u32, rng.below(60) as u32)
    }

    fn headline(&self, page: usize) -> String {
        let mut rng = self.rng(4, page);
        let co = rng.pick(COMPANIES);
        match rng.below(5) {
            0 => format!(
                "{co} expands capacity in {} as demand for AI chips grows",
                rng.pick(PLACES)
            ),
            1 => format!("{co} results beat forecasts on data-centre sales (story {page})"),
            2 => format!("Why {co} is betting on advanced packaging, explained"),
            3 => format!(
                "{co} and {} deepen ties in memory supply talks",
                rng.pick(COMPANIES)
            ),
            _ => format!(
                "Chip stocks swing as {co} updates its outlook for {}",
                2025 + rng.below(2)
            ),
        }
    }

    /// The RFC 2822 publication time of a page, for feeds.
    pub fn pub_date(&self, page: usize) -> String {
        let (y, m, d, h, min) = self.published(page);
        format!(
            "{d:02} {} {y} {h:02}:{min:02}:00 +0000",
            MONTHS[m as usize - 1]
        )
    }

    fn iso_date(&self, page: usize) -> String {
        let (y, m, d, h, min) = self.published(page);
        format!("{y}-{m:02}-{d:02}T{h:02}:{min:02}:00Z")
    }

    /// The feed's body: RSS 2.0 for even feeds, Atom for odd ones.
    pub fn feed_xml(&self, feed: usize, base: &str) -> String {
        let items = self.feed_items(feed);
        let mut out = String::with_capacity(items.len() * 700);
        let site = SITES[feed % SITES.len()];
        let atom = feed % 2 == 1;
        if atom {
            let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>{site} feed {feed}</title><id>urn:feed:{feed}</id><updated>2024-12-31T00:00:00Z</updated><link href=\"{base}/\"/>");
        } else {
            let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>{site} feed {feed}</title><link>{base}/</link><description>News from {site}</description><ttl>30</ttl>");
        }
        for (page, shared) in items {
            let link = if shared {
                format!("{base}/news/{page}?utm_source=feed{feed}&amp;utm_medium=rss")
            } else {
                format!("{base}/news/{page}")
            };
            let title = escape(&self.headline(page));
            let teaser = escape(&format!("<p>{}</p>", self.teaser(page)));
            let author = PEOPLE[page % PEOPLE.len()];
            if atom {
                let _ = writeln!(out, "<entry><title>{title}</title><link rel=\"alternate\" href=\"{link}\"/><id>urn:story:{page}</id><updated>{}</updated><author><name>{author}</name></author><summary type=\"html\">{teaser}</summary></entry>", self.iso_date(page));
            } else {
                let _ = writeln!(out, "<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">story-{page}</guid><pubDate>{}</pubDate><dc:creator>{author}</dc:creator><description>{teaser}</description></item>", self.pub_date(page));
            }
        }
        out.push_str(if atom {
            "</feed>\n"
        } else {
            "</channel></rss>\n"
        });
        out
    }

    fn teaser(&self, page: usize) -> String {
        let mut rng = self.rng(5, page);
        format!(
            "{} {}",
            filler_sentence(&mut rng),
            filler_sentence(&mut rng)
        )
    }

    /// Target size of a page in bytes: log-uniform over 30-150 KB.
    fn target_bytes(&self, page: usize) -> usize {
        let u = self.rng(1, page).unit();
        (30_000.0 * 5f64.powf(u)) as usize
    }

    /// The HTML of one article page.
    pub fn page_html(&self, page: usize, base: &str) -> String {
        let target = self.target_bytes(page);
        let mut rng = self.rng(6, page);
        let site = SITES[page % SITES.len()];
        let headline = self.headline(page);
        let (y, m, d, _, _) = self.published(page);
        let iso = self.iso_date(page);
        let author = PEOPLE[page % PEOPLE.len()];
        let url = format!("{base}/news/{page}");
        let mut out = String::with_capacity(target + 8_000);

        // Head: metadata, JSON-LD, styles and scripts.
        let _ = writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{headline} | {site}</title><meta name=\"description\" content=\"{}\"><link rel=\"canonical\" href=\"{url}\"><meta property=\"og:type\" content=\"article\"><meta property=\"og:title\" content=\"{headline}\"><meta property=\"og:url\" content=\"{url}\"><meta property=\"og:site_name\" content=\"{site}\"><meta property=\"og:image\" content=\"{base}/img/{page}.jpg\"><meta name=\"twitter:card\" content=\"summary_large_image\"><meta name=\"twitter:title\" content=\"{headline}\"><meta property=\"article:published_time\" content=\"{iso}\"><meta name=\"author\" content=\"{author}\">", escape(&self.teaser(page)));
        for i in 0..8 {
            let _ = write!(
                out,
                "<link rel=\"preload\" href=\"/static/chunk-{i}-{:x}.js\" as=\"script\">",
                rng.next() & 0xffff_ffff
            );
        }
        let _ = writeln!(out, "<script type=\"application/ld+json\">{{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\",\"headline\":\"{headline}\",\"datePublished\":\"{iso}\",\"author\":[{{\"@type\":\"Person\",\"name\":\"{author}\"}}],\"publisher\":{{\"@type\":\"Organization\",\"name\":\"{site}\"}},\"mainEntityOfPage\":\"{url}\"}}</script>");
        out.push_str("<style>");
        for i in 0..60 + rng.below(60) {
            let _ = write!(out, ".c{i}-{:x}{{margin:{}px {}px;padding:0 {}px;color:#{:06x};font-size:{}px}}@media (max-width:{}px){{.c{i}{{display:none}}}}", rng.next() & 0xfff, rng.below(20), rng.below(20), rng.below(12), rng.next() & 0xff_ffff, 12 + rng.below(10), 480 + rng.below(800));
        }
        out.push_str("</style>\n");
        for i in 0..3 + rng.below(3) {
            let bytes = 1_500 + rng.below(3_000);
            script_blob(&mut out, &mut rng, i, bytes);
        }
        out.push_str("</head>\n<body class=\"page article-page\">");

        // Top chrome.
        out.push_str("<a class=\"skip-link\" href=\"#main\">Skip to content</a><div class=\"cookie-consent\" role=\"dialog\"><p>We use cookies to improve your experience, to show you personalised content and to analyse our traffic. By continuing you agree to our use of cookies.</p><button>Accept all</button><button>Manage</button></div>");
        let _ = write!(out, "<header class=\"site-header\"><a class=\"logo\" href=\"/\"><img src=\"/logo.svg\" alt=\"{site}\"></a><nav class=\"main-nav\" role=\"navigation\"><ul>");
        for section in SECTIONS {
            let _ = write!(out, "<li class=\"nav-item\"><a href=\"/section/{}\">{section}</a><ul class=\"submenu\">", section.to_lowercase());
            for j in 0..3 {
                let _ = write!(
                    out,
                    "<li><a href=\"/section/{}/{j}\">{} {section}</a></li>",
                    section.to_lowercase(),
                    rng.pick(COMPANIES)
                );
            }
            out.push_str("</ul></li>");
        }
        out.push_str("</ul></nav><form class=\"search\" action=\"/search\"><input type=\"text\" name=\"q\" placeholder=\"Search\"><button>Go</button></form></header>");
        out.push_str("<div class=\"breaking-news\"><span>Breaking</span><ul>");
        for j in 0..5 {
            let _ = write!(
                out,
                "<li><a href=\"/news/{}\">{}</a></li>",
                rng.below(self.pages.max(1)),
                self.headline(page + j + 1)
            );
        }
        out.push_str("</ul></div>");
        let _ = write!(out, "<nav class=\"breadcrumbs\"><a href=\"/\">Home</a> › <a href=\"/section/technology\">Technology</a> › <a href=\"/section/semiconductors\">Semiconductors</a></nav>");

        // The story.
        let _ = write!(out, "<main id=\"main\"><div class=\"layout\"><article class=\"article\"><header class=\"article-header\"><h1 class=\"headline\">{headline}</h1><p class=\"byline\">By {author} | {} {d}, {y}</p><time datetime=\"{iso}\">{} {d}, {y}</time></header>", MONTHS[m as usize - 1], MONTHS[m as usize - 1]);
        let _ = write!(out, "<figure class=\"lead-image\"><img src=\"{base}/img/{page}.jpg\" alt=\"\" width=\"1200\" height=\"675\"><figcaption>A clean room at a chip plant. Photo: {site}</figcaption></figure><div class=\"article-body\" itemprop=\"articleBody\">");
        let paragraphs = 8 + rng.below(14);
        let event_at = self.has_event(page).then(|| rng.below(paragraphs.min(4)));
        for p in 0..paragraphs {
            if p > 0 && p % 6 == 0 {
                let _ = write!(out, "<h2>{}</h2>", subhead(&mut rng));
            }
            out.push_str("<p>");
            let sentences = 3 + rng.below(4);
            for s in 0..sentences {
                if s > 0 {
                    out.push(' ');
                }
                if event_at == Some(p) && s == 1 {
                    out.push_str(&event_sentences(&mut rng));
                } else if rng.below(9) == 0 {
                    let _ = write!(
                        out,
                        "<a href=\"/news/{}\">{}</a>",
                        rng.below(self.pages.max(1)),
                        filler_sentence(&mut rng)
                    );
                } else {
                    out.push_str(&filler_sentence(&mut rng));
                }
            }
            out.push_str("</p>\n");
            if p == 3 {
                out.push_str("<div class=\"ad-slot ad-inline\" data-slot=\"mid\"><script>window.ads=window.ads||[];ads.push({slot:'mid',sizes:[[300,250],[728,90]]});</script></div>");
                out.push_str("<aside class=\"related-inline\"><h3>Related</h3><ul>");
                for _ in 0..3 {
                    let _ = write!(
                        out,
                        "<li><a href=\"/news/{}\">{}</a></li>",
                        rng.below(self.pages.max(1)),
                        self.headline(rng.below(self.pages.max(1)))
                    );
                }
                out.push_str("</ul></aside>");
            }
        }
        out.push_str("</div><div class=\"share-bar\"><span>Share this article</span><a href=\"#\">Facebook</a><a href=\"#\">X</a><a href=\"#\">LinkedIn</a><a href=\"#\">Email</a></div><ul class=\"tags\">");
        for _ in 0..5 {
            let _ = write!(
                out,
                "<li><a href=\"/tag/{0}\">{0}</a></li>",
                rng.pick(COMPANIES)
            );
        }
        out.push_str("</ul></article>");

        // Side and bottom chrome.
        out.push_str(
            "<aside class=\"sidebar\"><section class=\"most-read\"><h2>Most read</h2><ol>",
        );
        for _ in 0..10 {
            let n = rng.below(self.pages.max(1));
            let _ = write!(
                out,
                "<li><a href=\"/news/{n}\"><h3>{}</h3></a><p>{}</p></li>",
                self.headline(n),
                filler_sentence(&mut rng)
            );
        }
        out.push_str("</ol></section><div class=\"newsletter-signup\"><h3>Get the chip briefing</h3><p>Sign up for our free daily newsletter and never miss a story.</p><form><input type=\"email\" placeholder=\"Email\"><button>Subscribe</button></form></div><div class=\"ad-slot\" id=\"ad-sidebar\"></div></aside></div>");
        let comments = 3 + rng.below(10);
        let _ = write!(
            out,
            "<section class=\"comments\" id=\"comments\"><h2>{comments} comments</h2>"
        );
        for _ in 0..comments {
            let _ = write!(out, "<div class=\"comment\"><span class=\"comment-author\">{}</span> <time>2 hours ago</time><p>{} {}</p><a class=\"reply\" href=\"#\">Reply</a></div>", rng.pick(PEOPLE), filler_sentence(&mut rng), filler_sentence(&mut rng));
        }
        out.push_str("</section></main>");

        // Filler up to the page's size: teaser cards and data blobs, half each.
        let mut blob = 0;
        let footer_bytes = 5_000;
        if out.len() + footer_bytes < target {
            out.push_str(
                "<section class=\"more-stories\"><h2>More stories</h2><div class=\"cards\">",
            );
            while out.len() + footer_bytes < target {
                if rng.below(2) == 0 {
                    let n = rng.below(self.pages.max(1));
                    let _ = write!(out, "<div class=\"card\"><a href=\"/news/{n}\"><img src=\"/img/{n}-thumb.jpg\" alt=\"\" loading=\"lazy\"><h3 class=\"card-title\">{}</h3></a><p class=\"card-teaser\">{}</p><span class=\"card-meta\">{} · 4 min read</span></div>", self.headline(n), filler_sentence(&mut rng), rng.pick(SECTIONS));
                } else {
                    blob += 1;
                    let left = target.saturating_sub(out.len() + footer_bytes);
                    script_blob(&mut out, &mut rng, 10 + blob, left.clamp(500, 4_000));
                }
            }
            out.push_str("</div></section>");
        }
        out.push_str("<footer class=\"site-footer\"><div class=\"footer-columns\">");
        for section in SECTIONS.iter().take(8) {
            let _ = write!(out, "<ul><li><strong>{section}</strong></li>");
            for j in 0..5 {
                let _ = write!(
                    out,
                    "<li><a href=\"/section/{}/{j}\">{} {j}</a></li>",
                    section.to_lowercase(),
                    section
                );
            }
            out.push_str("</ul>");
        }
        let _ = writeln!(out, "</div><p class=\"copyright\">© 2024 {site}. All rights reserved.</p></footer><script src=\"/static/app.js\" defer></script></body></html>");
        out
    }
}

/// An inline script: configuration objects and code-like text, with the `<`, quotes and
/// braces real scripts have.
fn script_blob(out: &mut String, rng: &mut Rng, id: usize, bytes: usize) {
    let start = out.len();
    let _ = write!(
        out,
        "<script id=\"data-{id}\">window.__DATA_{id}__={{\"items\":["
    );
    while out.len() - start < bytes {
        let _ = write!(out, "{{\"id\":{},\"slug\":\"story-{:x}\",\"score\":{:.3},\"flags\":[{},{}],\"label\":\"{}\"}},", rng.next() % 100_000, rng.next(), rng.unit(), rng.below(2), rng.below(5), rng.pick(COMPANIES));
    }
    out.push_str("{}]};for(var i=0;i<window.__q.length;i++){if(i<3&&window.__q[i]){track('view',i)}}</script>\n");
}

fn subhead(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => "What comes next".to_string(),
        1 => format!("The view from {}", rng.pick(PLACES)),
        2 => "Supply and demand".to_string(),
        _ => format!("{} in focus", rng.pick(COMPANIES)),
    }
}

/// One sentence of ordinary trade news: companies and figures, no order, no control.
pub fn filler_sentence(rng: &mut Rng) -> String {
    let co = rng.pick(COMPANIES);
    let n = 2 + rng.below(40);
    let p = 1 + rng.below(30);
    match rng.below(14) {
        0 => format!("{co} reported quarterly revenue of ${n}.{} billion, up {p}% from a year earlier.", rng.below(10)),
        1 => format!("Analysts expect demand for data-centre accelerators to stay strong through {}.", 2025 + rng.below(3)),
        2 => format!("Shares of {co} rose {p}% in early trading on {}.", rng.pick(WEEKDAYS)),
        3 => format!("The company said it would expand capacity at its plant in {} over the next {} years.", rng.pick(PLACES), 2 + rng.below(5)),
        4 => format!("{co} chief executive {} told investors that supply remained tight.", rng.pick(PEOPLE)),
        5 => format!("Industry data showed memory prices rising for a {} straight quarter.", ["second", "third", "fourth"][rng.below(3)]),
        6 => format!("The foundry is spending ${n} billion on new fabs in {}.", rng.pick(PLACES)),
        7 => format!("Executives at {co} declined to comment on pricing."),
        8 => format!("Gross margin narrowed to {}%, the company said in a statement.", 40 + rng.below(20)),
        9 => format!("{co} and {} have worked together on packaging technology since {}.", rng.pick(COMPANIES), 2010 + rng.below(14)),
        10 => "Lead times for some parts have stretched to more than six months, according to distributors.".to_string(),
        11 => format!("The market for AI servers could reach ${} billion by {}, one research firm estimated.", 100 + rng.below(300), 2027 + rng.below(4)),
        12 => format!("\u{201c}We are seeing strong demand across the board,\u{201d} said {}, a spokesperson for {co}.", rng.pick(PEOPLE)),
        _ => format!("Smartphone shipments fell {p}% in the quarter as consumers held off on upgrades."),
    }
}

/// One or two sentences reporting a chip order or an export control, in varied phrasings.
pub fn event_sentences(rng: &mut Rng) -> String {
    let buyer = rng.pick(BUYERS);
    let (seller, product) = ORDERS[rng.below(ORDERS.len())];
    let qty = (1 + rng.below(50)) * 100;
    let million = 10 + rng.below(500);
    let a = rng.pick(CONTROLLED);
    let b = rng.pick(CONTROLLED);
    match rng.below(8) {
        0 => format!("{buyer} has ordered {qty} {product} chips from {seller}, according to people familiar with the matter."),
        1 => format!("{buyer} placed an order for {qty} {seller} {product} processors worth about ${million} million, to be delivered by the end of the year."),
        2 => format!("{seller} will supply {qty} {product} accelerators to {buyer} under a deal signed on {}.", rng.pick(WEEKDAYS)),
        3 => format!("{buyer} agreed to buy {qty} of {seller}'s {product} chips. The order is worth ${million} million."),
        4 => format!("The U.S. Commerce Department restricted exports of {a} and {b} chips to China, effective immediately."),
        5 => format!("Washington tightened export controls on advanced AI chips such as Nvidia's {a} to China in October."),
        6 => "Japan will restrict exports of 23 types of chipmaking equipment to China from July.".to_string(),
        _ => format!("The Bureau of Industry and Security added {} Chinese companies to the Entity List, barring sales of {a} chips to them.", 5 + rng.below(30)),
    }
}

/// Escapes text for XML and HTML attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}
