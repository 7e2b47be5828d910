//! Depth-first walks over a parsed document without recursion, so that no page, however
//! deeply nested, can overflow the stack (and skipping a subtree costs nothing).

use std::collections::HashMap;
use std::ops::Deref;

use scraper::ElementRef;

use crate::quick_hash::QuickBuild;

/// A node of scraper's tree (ego_tree's `NodeRef<'a, scraper::Node>`), named through
/// `ElementRef` so this crate need not depend on ego_tree itself.
pub(crate) type NodeRef<'a> = <ElementRef<'a> as Deref>::Target;

/// A stable key for a node within one document: its address in the tree's node arena.
pub(crate) fn key(node: NodeRef<'_>) -> usize {
    std::ptr::from_ref(node.value()) as usize
}

/// Maps keyed by [`key`].
pub(crate) type NodeMap<V> = HashMap<usize, V, QuickBuild>;

/// One step of a walk: entering a node, or leaving one that was entered.
pub(crate) enum Step<'a> {
    Open(NodeRef<'a>),
    Close(NodeRef<'a>),
}

/// Visits `root` and its descendants in document order. `visit` gets `Open` for each node
/// and returns whether to enter its children; `Close` follows for every node whose `Open`
/// returned true, after its children, so visitors can keep balanced stacks.
pub(crate) fn walk<'a>(root: NodeRef<'a>, mut visit: impl FnMut(Step<'a>) -> bool) {
    let mut node = root;
    'descend: loop {
        if visit(Step::Open(node)) {
            if let Some(child) = node.first_child() {
                node = child;
                continue;
            }
            visit(Step::Close(node));
        }
        // Leave finished nodes until one has a next sibling.
        loop {
            if node == root {
                return;
            }
            if let Some(sibling) = node.next_sibling() {
                node = sibling;
                continue 'descend;
            }
            match node.parent() {
                Some(parent) => {
                    node = parent;
                    visit(Step::Close(node));
                }
                None => return,
            }
        }
    }
}

/// The value of an attribute without namespace. `Element::attr` interns the name it is
/// asked for on every call; the walks ask for a few names on every element, so they
/// compare strings instead.
pub(crate) fn attr<'a>(element: &'a scraper::node::Element, name: &str) -> Option<&'a str> {
    element
        .attrs
        .iter()
        .find(|(key, _)| key.ns.is_empty() && &*key.local == name)
        .map(|(_, value)| &**value)
}

/// The characters of `text` that are not whitespace (`char::is_whitespace`). Most text
/// is ASCII, counted a byte at a time; the rest a character at a time.
pub(crate) fn non_space_chars(text: &str) -> usize {
    if text.is_ascii() {
        // The ASCII characters `char::is_whitespace` accepts: space and tab to carriage
        // return (vertical tab included). Branch-free, so the compiler can vectorise it.
        let spaces: usize = text
            .bytes()
            .map(|b| usize::from((b == b' ') | (b.wrapping_sub(b'\t') < 5)))
            .sum();
        text.len() - spaces
    } else {
        text.chars().filter(|c| !c.is_whitespace()).count()
    }
}

/// Counts the non-space characters of the text below `root` that `keep` lets through,
/// and how many of them are inside links.
pub(crate) fn text_weight<'a>(
    root: NodeRef<'a>,
    keep: impl Fn(NodeRef<'a>, &scraper::node::Element) -> bool,
) -> (usize, usize) {
    let mut chars = 0;
    let mut link_chars = 0;
    let mut link_depth = 0usize;
    walk(root, |step| match step {
        Step::Open(node) => match node.value() {
            scraper::Node::Element(element) => {
                if node != root && !keep(node, element) {
                    return false;
                }
                if element.name() == "a" {
                    link_depth += 1;
                }
                true
            }
            scraper::Node::Text(text) => {
                let n = non_space_chars(text);
                chars += n;
                if link_depth > 0 {
                    link_chars += n;
                }
                false
            }
            _ => false,
        },
        Step::Close(node) => {
            if node.value().as_element().is_some_and(|e| e.name() == "a") {
                link_depth -= 1;
            }
            true
        }
    });
    (chars, link_chars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    #[test]
    fn walks_in_document_order_with_balanced_closes() {
        let doc = Html::parse_fragment("<div><p>a<b>b</b></p><p>c</p></div>");
        let mut log = String::new();
        walk(doc.tree.root(), |step| {
            match step {
                Step::Open(n) => match n.value() {
                    scraper::Node::Element(e) => log.push_str(&format!("<{}>", e.name())),
                    scraper::Node::Text(t) => log.push_str(t),
                    _ => {}
                },
                Step::Close(n) => {
                    if let Some(e) = n.value().as_element() {
                        log.push_str(&format!("</{}>", e.name()));
                    }
                }
            }
            true
        });
        assert_eq!(log, "<html><div><p>a<b>b</b></p><p>c</p></div></html>");
    }

    #[test]
    fn non_space_characters_are_counted_like_char_is_whitespace() {
        for text in [
            "",
            " a\tb\x0bc\x0c\r\n",
            "caf\u{e9} \u{a0}x\u{3000}y",
            "\u{85}z",
        ] {
            let expected = text.chars().filter(|c| !c.is_whitespace()).count();
            assert_eq!(non_space_chars(text), expected, "{text:?}");
        }
    }

    #[test]
    fn skipped_subtrees_get_no_close() {
        let doc = Html::parse_fragment("<div><nav><a>x</a></nav><p>y</p></div>");
        let mut opens = 0;
        let mut closes = 0;
        walk(doc.tree.root(), |step| match step {
            Step::Open(n) => {
                opens += 1;
                n.value().as_element().is_none_or(|e| e.name() != "nav")
            }
            Step::Close(_) => {
                closes += 1;
                true
            }
        });
        // Opened: fragment root, html, div, nav, p, "y"; all but the skipped nav close.
        assert_eq!((opens, closes), (6, 5));
    }
}
