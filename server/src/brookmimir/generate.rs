//! A deterministic generator of realistic corpus documents, for benchmarks and
//! load tests: `quartet admin brookmimir documents generate --count N --seed S`.
//!
//! The same count, seed and first id give the same documents, byte for byte,
//! with the locked versions of `rand` and `rand_chacha` (ChaCha8 is a portable
//! stream; the sampling helpers are stable within a `rand` major version).
//! Documents read like the demo corpus: investigative and civic news about
//! procurement, fraud, shipping, health, energy and local government, with a
//! few hundred words of content each, publication times spread over 2019–2025,
//! and about a third of them mentioning contracts.

use quartet_api::brookmimir::Document;
use rand::seq::IndexedRandom as _;
use rand::{Rng, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

/// The first document number of a generated corpus (`DOC-2000001`), clear of the demo corpus.
pub const DEFAULT_FIRST_ID: u64 = 2_000_001;

/// A topic: its tags and the sentences its articles are made of.
struct Topic {
    tags: &'static [&'static str],
    titles: &'static [&'static str],
    sentences: &'static [&'static str],
}

/// Sentences use slots: `{org}`, `{agency}`, `{city}`, `{n}` (a count), `{amount}`,
/// `{year}`, `{role}`, `{country}`.
const TOPICS: &[Topic] = &[
    Topic {
        tags: &["procurement", "tenders", "bid-rigging", "audit", "contracts", "public-works"],
        titles: &[
            "{agency} awarded {n} contracts to companies sharing one address",
            "Tender for {city} road repairs cancelled after bid irregularities",
            "Auditors question {amount} paid under emergency procurement rules",
            "{org} won most of the {agency} tenders in {year}",
            "Procurement records show repeated single-bid awards in {city}",
        ],
        sentences: &[
            "Procurement records published by the {agency} list {n} tenders awarded in {year}.",
            "Most of the contracts went to {org}, which shares directors with two other bidders.",
            "The {role} said the contract was signed before the tender period had closed.",
            "Several of the contracts were split into lots just below the threshold that requires open bidding.",
            "The framework contract was extended three times without a new competition.",
            "Invoices worth {amount} were approved by a single official.",
            "Bidders were given four days to respond, far less than the usual month.",
            "The audit office found that {n} of the awards lacked a written evaluation.",
            "Losing bidders filed complaints that the specifications had been written for one supplier.",
            "The {agency} said it would review every contract awarded since {year}.",
        ],
    },
    Topic {
        tags: &["fraud", "banking", "money-laundering", "shell-company", "offshore", "forensics"],
        titles: &[
            "Forensic accountant traces {amount} through three banks",
            "Shell company network linked to {org}",
            "Court freezes accounts of {org} directors",
            "Leaked ledgers show transfers from {city} to {country}",
            "Regulator fines {org} over weak anti-money-laundering checks",
        ],
        sentences: &[
            "The report follows {amount} from the operating account through correspondent banks in two countries.",
            "The funds reached accounts held by relatives of the founder within weeks.",
            "Nominee directors were listed for {n} companies registered at the same address.",
            "The {role} told the court that the transfers had no commercial purpose.",
            "Bank compliance staff raised {n} suspicious activity reports that went unanswered.",
            "The companies filed no accounts before receiving their first payments.",
            "Investigators say the structure was designed to hide the beneficial owner.",
            "Prosecutors in {country} have asked for the records under a mutual legal assistance treaty.",
            "The regulator said {org} had failed to verify the identity of its largest clients.",
            "Part of the money was used to buy property in {city}.",
        ],
    },
    Topic {
        tags: &["shipping", "sanctions", "maritime", "customs", "smuggling", "ports"],
        titles: &[
            "Tanker switched off its transponder near {country} coast",
            "Customs seize {n} containers of undeclared electronics in {city}",
            "Port of {city} logistics contracts went to one operator",
            "Ship-to-ship transfers raise sanctions questions",
            "{org} vessels renamed and reflagged {n} times",
        ],
        sentences: &[
            "Satellite images show the vessel loading cargo while its transponder was off.",
            "The ship changed its name and flag {n} times in {year}.",
            "Customs officers in {city} found the containers declared as furniture.",
            "The port authority awarded the logistics contract to {org} without a tender.",
            "Insurance for the voyage was provided by a company registered in {country}.",
            "The {role} said the cargo manifest had been altered after departure.",
            "Tracking data shows {n} ship-to-ship transfers in open water.",
            "The operator denies any breach of the sanctions regime.",
            "Shipping registries list a single-ship company as the owner.",
            "Freight invoices worth {amount} were paid through a trading firm.",
        ],
    },
    Topic {
        tags: &["healthcare", "billing", "regulation", "hospitals", "pharmaceuticals", "settlement"],
        titles: &[
            "Hospital group settles billing case for {amount}",
            "Regulator warns {org} over unapproved drug trials",
            "{city} clinics billed for {n} procedures never performed",
            "Medical supply contract questioned after price jump",
            "Whistleblower describes pressure to upcode patient visits",
        ],
        sentences: &[
            "The settlement resolves claims that {org} billed for services that were never provided.",
            "Internal emails show managers set targets for the most expensive billing codes.",
            "The {role} said patients were never told about the trial.",
            "Prices of the supplies rose by a third in {year}.",
            "Inspectors found {n} files with missing consent forms.",
            "The health ministry of {country} has opened its own review.",
            "The company said it had improved its compliance programme.",
            "Former staff described a culture in which questions were discouraged.",
            "The insurer recovered {amount} after an audit of claims.",
            "Clinics in {city} accounted for most of the disputed claims.",
        ],
    },
    Topic {
        tags: &["energy", "infrastructure", "water", "environment", "permits", "utilities"],
        titles: &[
            "{city} approves new water treatment plant",
            "Wind farm permits delayed by missing environmental study",
            "{org} chosen for {amount} grid upgrade",
            "Pipeline leak reports went unpublished for {n} months",
            "Utility raised tariffs while cutting maintenance",
        ],
        sentences: &[
            "The council voted {n} to 3 to fund the plant from the capital budget.",
            "The environmental study required by the permit was never filed.",
            "The grid operator chose {org} for the upgrade in {year}.",
            "Residents in {city} reported discoloured water for several weeks.",
            "The {role} said the maintenance budget had been cut by half.",
            "The regulator in {country} asked the utility to publish its inspection records.",
            "Engineers estimated repairs at {amount}.",
            "The leak was reported internally but not to the authorities.",
            "Construction is expected to start next year and last two years.",
            "Campaigners say the project ignored the impact on the river.",
        ],
    },
    Topic {
        tags: &["local-government", "education", "budget", "transparency", "elections", "real-estate"],
        titles: &[
            "School district budget hides {amount} in consulting fees",
            "{city} council members failed to declare property interests",
            "Records request reveals {n} unpublished land deals",
            "Election spending limits exceeded in {city}",
            "Mayor's office used private email for planning decisions",
        ],
        sentences: &[
            "The district paid {amount} to consultants whose reports were never published.",
            "Land registry entries show council members bought plots before the zoning change.",
            "The {role} said the records had been released only after an appeal.",
            "Campaign filings list {n} donations just below the reporting limit.",
            "The council approved the sale of public land to {org} in {year}.",
            "Planning decisions were discussed in messages that were not archived.",
            "The transparency office in {country} has asked for an explanation.",
            "Parents in {city} learned about the cuts from a leaked memo.",
            "The school bus service was renewed without a vote.",
            "Officials say every decision followed the rules in force at the time.",
        ],
    },
    Topic {
        tags: &["aviation", "safety", "construction", "accounting", "whistleblower", "courts"],
        titles: &[
            "Airline maintenance logs show repeated deferrals",
            "Construction firm {org} restated {year} accounts",
            "Court hears whistleblower case against {org}",
            "Bridge inspections in {city} missed {n} cracked beams",
            "Auditor resigns after dispute over revenue recognition",
        ],
        sentences: &[
            "Maintenance logs show the same fault deferred {n} times.",
            "The company restated revenue after the auditor questioned contract accounting.",
            "The {role} told the court she was dismissed after raising concerns.",
            "Inspectors in {city} had signed off the bridge a month earlier.",
            "The aviation authority of {country} grounded two aircraft pending checks.",
            "Profits on long-term construction projects had been booked in advance.",
            "The firm agreed to pay {amount} to settle claims from investors.",
            "Engineers warned about the beams in a report filed in {year}.",
            "The judge ordered the company to disclose its internal review.",
            "Safety inspectors found missing signatures on {n} work orders.",
        ],
    },
];

const GENERAL: &[&str] = &[
    "The documents were obtained through a freedom of information request.",
    "Neither the company nor its lawyers responded to written questions.",
    "A spokesperson said an internal investigation was under way.",
    "The findings were shared with prosecutors in {country}.",
    "Reporters reviewed {n} pages of filings, invoices and correspondence.",
    "Former employees confirmed the account on condition of anonymity.",
    "The case is expected to go to trial in {year}.",
    "Opposition members called for a public inquiry.",
];

const ORGS: &[&str] = &[
    "Northgate Holdings",
    "Bluewater Logistics",
    "Meridian Group",
    "Castellan Partners",
    "Harrow & Finch",
    "Oakline Construction",
    "Silverport Trading",
    "Redfern Medical",
    "Altamira Energy",
    "Kestrel Shipping",
    "Granite Ridge Capital",
    "Lumen Health",
    "Westbrook Engineering",
    "Corvid Consulting",
    "Brightwater Utilities",
    "Sable Maritime",
];
const AGENCIES: &[&str] = &[
    "port authority",
    "transport ministry",
    "regional health board",
    "city council",
    "defence procurement agency",
    "water utility",
    "school district",
    "roads agency",
];
const CITIES: &[&str] = &[
    "Riverton",
    "Eastham",
    "Port Calder",
    "Lindhurst",
    "Marlow Bay",
    "Ashford",
    "Kingsbridge",
    "Valmont",
    "Sorrento Falls",
    "Greyhaven",
    "Northwick",
    "Belmar",
];
const ROLES: &[&str] = &[
    "former finance director",
    "procurement officer",
    "auditor",
    "prosecutor",
    "council member",
    "compliance manager",
    "chief engineer",
    "whistleblower",
];
const COUNTRIES: &[&str] = &[
    "the United States",
    "the United Kingdom",
    "Canada",
    "France",
    "Germany",
    "Australia",
    "Cyprus",
    "Malta",
    "Panama",
    "Singapore",
];
const SOURCES: &[&str] = &[
    "Harbor Ledger",
    "Civic Record",
    "Valley Courier",
    "Border Dispatch",
    "Health Wire",
    "Maritime Monitor",
    "Business Brief",
    "Air Safety Today",
    "Le Relais",
    "North Wire",
    "Coast Courier",
    "Metro Observer",
];
/// Jurisdictions with their weight (how often they are drawn).
const JURISDICTIONS: &[(&str, u32)] = &[
    ("US", 30),
    ("GB", 18),
    ("CA", 10),
    ("AU", 8),
    ("FR", 8),
    ("DE", 7),
    ("EU", 6),
    ("INTL", 5),
    ("NZ", 3),
    ("IE", 3),
    ("CY", 1),
    ("MT", 1),
];

/// Publication times fall between these (Unix seconds): 2019-01-01 and 2025-07-01.
const FROM: i64 = 1_546_300_800;
const TO: i64 = 1_751_328_000;

/// `count` documents numbered from `first_id`, drawn from `seed`.
pub fn documents(count: u64, seed: u64, first_id: u64) -> impl Iterator<Item = Document> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count).map(move |i| document(&mut rng, first_id + i))
}

fn pick<'a>(rng: &mut ChaCha8Rng, list: &'a [&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

/// Fills the slots of `template`.
fn fill(rng: &mut ChaCha8Rng, template: &str) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let slot = &rest[start + 1..start + len];
        match slot {
            "org" => out.push_str(pick(rng, ORGS)),
            "agency" => out.push_str(pick(rng, AGENCIES)),
            "city" => out.push_str(pick(rng, CITIES)),
            "role" => out.push_str(pick(rng, ROLES)),
            "country" => out.push_str(pick(rng, COUNTRIES)),
            "n" => out.push_str(&rng.random_range(2..60).to_string()),
            "year" => out.push_str(&rng.random_range(2016..2026).to_string()),
            "amount" => {
                let millions = rng.random_range(1..900) as f64 / 10.0;
                out.push_str(&format!("{millions:.1} million"));
            }
            other => out.push_str(other),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

fn sentences(rng: &mut ChaCha8Rng, topic: &Topic, n: usize) -> String {
    let mut text = Vec::with_capacity(n);
    for _ in 0..n {
        let template = if rng.random_ratio(1, 6) {
            pick(rng, GENERAL)
        } else {
            pick(rng, topic.sentences)
        };
        text.push(fill(rng, template));
    }
    text.join(" ")
}

fn document(rng: &mut ChaCha8Rng, number: u64) -> Document {
    let topic = &TOPICS[rng.random_range(0..TOPICS.len())];
    let title_template = pick(rng, topic.titles);
    let title = fill(rng, title_template);
    let summary = sentences(rng, topic, 2);
    let paragraphs = rng.random_range(8..20);
    let content = sentences(rng, topic, paragraphs);
    let source = pick(rng, SOURCES).to_owned();
    let published = rng.random_range(FROM..TO);
    let published_at = chrono::DateTime::from_timestamp(published - published % 60, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let total: u32 = JURISDICTIONS.iter().map(|(_, w)| w).sum();
    let mut draw = rng.random_range(0..total);
    let jurisdiction = JURISDICTIONS
        .iter()
        .find(|(_, w)| {
            let hit = draw < *w;
            draw = draw.saturating_sub(*w);
            hit
        })
        .map_or("US", |(j, _)| j);
    let language = if jurisdiction == "FR" && rng.random_ratio(1, 2) {
        "fr"
    } else {
        "en"
    };
    let how_many = rng.random_range(1..4);
    let mut tags: Vec<String> = topic
        .tags
        .choose_multiple(rng, how_many)
        .map(|t| t.to_string())
        .collect();
    tags.sort();
    let url = rng.random_ratio(1, 3).then(|| {
        let slug: String = title
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(5)
            .collect::<Vec<_>>()
            .join("-");
        format!(
            "https://news.example.org/{}/{}/{slug}",
            source.to_ascii_lowercase().replace(' ', "-"),
            &published_at[..7].replace('-', "/"),
        )
    });
    Document {
        id: format!("DOC-{number}"),
        title,
        summary,
        content,
        source,
        url,
        published_at,
        language: language.to_owned(),
        jurisdiction: jurisdiction.to_owned(),
        tags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_documents() {
        let a: Vec<String> = documents(50, 7, DEFAULT_FIRST_ID)
            .map(|d| serde_json::to_string(&d).unwrap())
            .collect();
        let b: Vec<String> = documents(50, 7, DEFAULT_FIRST_ID)
            .map(|d| serde_json::to_string(&d).unwrap())
            .collect();
        let c: Vec<String> = documents(50, 8, DEFAULT_FIRST_ID)
            .map(|d| serde_json::to_string(&d).unwrap())
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a[0].contains("\"id\":\"DOC-2000001\""), "{}", a[0]);
        assert!(a[49].contains("\"id\":\"DOC-2000050\""), "{}", a[49]);
    }

    #[test]
    fn documents_look_real() {
        let docs: Vec<Document> = documents(2000, 1, 1).collect();
        let with_contract = docs
            .iter()
            .filter(|d| d.content.contains("contract"))
            .count();
        assert!(
            (200..1200).contains(&with_contract),
            "{with_contract} of 2000 mention contracts"
        );
        let recent = docs
            .iter()
            .filter(|d| d.published_at.as_str() >= "2024")
            .count();
        assert!(
            (100..800).contains(&recent),
            "{recent} of 2000 from 2024 on"
        );
        for d in &docs {
            assert!(!d.content.contains('{'), "unfilled slot: {}", d.content);
            assert!(d.content.len() > 300, "{}", d.content);
            assert!(chrono::DateTime::parse_from_rfc3339(&d.published_at).is_ok());
            assert!(!d.tags.is_empty());
        }
    }
}
