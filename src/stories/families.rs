//! Product families: products that reports of one deal use interchangeably (an outlet
//! writes "H800" where another writes "H100", or "Ascend chips" for "Ascend 910B"). Two
//! orders whose products differ still report the same deal when both products are in
//! one family. Data, not logic: one row per family, canonical names as in the gazetteer
//! (a unit test checks that every name here is one).

/// `(family, members)`; a product belongs to at most one family.
pub const FAMILIES: &[(&str, &[&str])] = &[
    ("Nvidia Ampere", &["A100", "A800", "A30", "A40"]),
    (
        "Nvidia Hopper",
        &["H100", "H200", "H800", "H20", "H20E", "GH200"],
    ),
    ("Nvidia Ada Lovelace", &["L40S", "L20", "L2", "RTX 4090"]),
    (
        "Nvidia Blackwell",
        &[
            "B100",
            "B200",
            "B300",
            "B20",
            "B30",
            "B30A",
            "B40",
            "GB200",
            "GB300",
            "RTX Pro 6000D",
        ],
    ),
    ("Nvidia Rubin", &["Vera Rubin", "Rubin CPX"]),
    (
        "AMD Instinct MI200",
        &["Instinct MI210", "Instinct MI250", "Instinct MI250X"],
    ),
    (
        "AMD Instinct MI300",
        &[
            "Instinct MI300A",
            "Instinct MI300X",
            "Instinct MI308",
            "Instinct MI308X",
            "Instinct MI325X",
        ],
    ),
    (
        "AMD Instinct MI350",
        &["Instinct MI350X", "Instinct MI355X"],
    ),
    (
        "AMD Instinct MI400",
        &["Instinct MI400", "Instinct MI450", "Instinct MI455X"],
    ),
    ("Intel Gaudi", &["Gaudi 2", "Gaudi 3"]),
    (
        "Huawei Ascend",
        &[
            "Ascend",
            "Ascend 910",
            "Ascend 910B",
            "Ascend 910C",
            "Ascend 920",
            "Ascend 950",
            "Ascend 960",
            "Ascend 970",
        ],
    ),
    ("AWS Trainium", &["Trainium", "Trainium2", "Trainium3"]),
    ("Cambricon MLU", &["MLU370", "MLU590"]),
    ("HBM", &["HBM", "HBM2", "HBM2E", "HBM3", "HBM3E", "HBM4"]),
    (
        "EUV lithography",
        &[
            "EUV lithography",
            "High-NA EUV",
            "NXE:3400B",
            "NXE:3400C",
            "NXE:3600D",
            "NXE:3800E",
            "EXE:5000",
            "EXE:5200",
        ],
    ),
    (
        "DUV lithography",
        &[
            "DUV lithography",
            "NXT:1970i",
            "NXT:1980i",
            "NXT:1980Di",
            "NXT:2000i",
            "NXT:2050i",
            "NXT:2100i",
        ],
    ),
];

/// The family a canonical product belongs to, if any.
pub fn family_of(product: &str) -> Option<&'static str> {
    FAMILIES
        .iter()
        .find(|(_, members)| members.contains(&product))
        .map(|(family, _)| *family)
}

/// Equal products, or two members of one family.
pub fn same_product_or_family(a: &str, b: &str) -> bool {
    a == b || family_of(a).is_some_and(|family| family_of(b) == Some(family))
}
