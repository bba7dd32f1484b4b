//! Synthetic registries: a deterministic generator of realistic listed people, strangers and near
//! misses (British name frequencies, real forces and HMPPS units), for the benchmark, the tests
//! and the demo registry's data file. Nothing here is about a real person. A workspace member of
//! its own, so the shipped binary carries none of its tables.

use std::collections::HashSet;
use std::fmt;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use vetting::core::identity::{Date, Identifier, IdentifierScheme, PersonName, days_in_month};

/// Which list a synthetic person is on (`Clear`: a closed case that left no status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntheticList {
    Barred,
    Advisory,
    Investigation,
    Clear,
}

/// What the synthetic person did for a living when the decision was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntheticRole {
    PoliceOfficer,
    SpecialConstable,
    PoliceStaff,
    ProbationOfficer,
    PrisonOfficer,
}

/// One synthetic person and the one entry (listing or investigation) they carry.
#[derive(Clone, Debug)]
pub struct SyntheticPerson {
    pub name: PersonName,
    /// Previous names (maiden names, deed-poll changes) and aliases.
    pub other_names: Vec<PersonName>,
    pub date_of_birth: Date,
    /// National insurance number (about 70%), PNC ID (about 40%), and a warrant number (officers
    /// and specials) or staff number (everyone else) issued by their employer.
    pub identifiers: Vec<Identifier>,
    pub list: SyntheticList,
    /// A real England and Wales force, HMPPS probation region, prison, or the HMPPS
    /// Counter-Corruption Unit (which investigates prison and probation staff).
    pub organisation: String,
    pub role: SyntheticRole,
    /// Rank, grade or job title.
    pub rank: String,
    /// Dismissal (barred), resignation (advisory) or investigation date; after the 19th birthday,
    /// between 2017-01-01 and [`LATEST_DECISION`].
    pub decision_date: Date,
    /// Standards of Professional Behaviour breached (alleged, for advisory and investigations).
    pub standards_breached: Vec<String>,
    /// A short non-identifying summary ("Alleged ..." unless barred).
    pub reason: String,
    /// Only barred officers and specials dismissed for gross misconduct.
    pub published: bool,
    /// A case reference such as "PSD/2024/01873".
    pub reference: String,
}

/// The latest decision date generated: in the past, so registry checks that refuse future event
/// dates accept every synthetic person.
pub const LATEST_DECISION: Date = Date::new(2026, 3, 31);
const EARLIEST_DECISION: Date = Date::new(2017, 1, 1);
/// Open investigations are recent: none opened before this.
const EARLIEST_OPEN_INVESTIGATION: Date = Date::new(2023, 1, 1);
const EARLIEST_BIRTH: Date = Date::new(1955, 1, 1);
const LATEST_BIRTH: Date = Date::new(2004, 12, 31);
/// The seed of [`demo_people`].
const DEMO_SEED: u64 = 0x5EED_2017_1135;
/// How many family names the synthesised long tail holds at most.
const TAIL_SIZE: usize = 30_000;
/// Share (per thousand) of people of British heritage whose family name comes from the long tail.
const TAIL_PER_MILLE: u32 = 480;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sex {
    Male,
    Female,
}

/// Whose naming customs a synthetic person follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Heritage {
    British,
    Irish,
    Muslim,
    Indian,
    WestAfrican,
    European,
}

const HERITAGE: &[(Heritage, u32)] = &[
    (Heritage::British, 870),
    (Heritage::Irish, 25),
    (Heritage::Muslim, 35),
    (Heritage::Indian, 30),
    (Heritage::WestAfrican, 25),
    (Heritage::European, 15),
];

/// A weighted table drawn from by binary search on cumulative weights.
#[derive(Clone, Debug)]
struct Table<T: Copy + 'static> {
    entries: Vec<T>,
    cumulative: Vec<u64>,
}

impl<T: Copy + 'static> Table<T> {
    fn new(weighted: impl IntoIterator<Item = (T, u32)>) -> Self {
        let mut entries = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for (value, weight) in weighted {
            if weight > 0 {
                total += u64::from(weight);
                entries.push(value);
                cumulative.push(total);
            }
        }
        Self {
            entries,
            cumulative,
        }
    }

    fn of(weighted: &'static [(T, u32)]) -> Self {
        Self::new(weighted.iter().copied())
    }

    /// A draw; `None` only for a table with no positive weight.
    fn draw(&self, rng: &mut StdRng) -> Option<T> {
        let total = *self.cumulative.last()?;
        let r = rng.random_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= r);
        self.entries.get(i).copied()
    }
}

/// A weighted table of names; the fallback keeps a draw total without a panic path.
#[derive(Clone, Debug)]
struct Names(Table<&'static str>);

impl Names {
    fn of(weighted: &'static [(&'static str, u32)]) -> Self {
        Self(Table::of(weighted))
    }

    fn draw(&self, rng: &mut StdRng) -> &'static str {
        self.0.draw(rng).unwrap_or("Smith")
    }
}

#[derive(Clone, Debug)]
struct NameTables {
    male: Names,
    female: Names,
    surnames: Names,
}

/// What a synthetic person is said to have done.
#[derive(Debug)]
struct Scenario {
    /// As a finding ("Theft of seized property"); made "Alleged theft ..." when not proven.
    reason: &'static str,
    standards: &'static [&'static str],
    /// Which roles it fits (bits of [`role_bit`]).
    roles: u8,
    /// Gross incompetence rather than gross misconduct (officers only; never published).
    incompetence: bool,
    weight: u32,
}

const OFFICER: u8 = 1;
const SPECIAL: u8 = 2;
const STAFF: u8 = 4;
const PROBATION: u8 = 8;
const PRISON: u8 = 16;
const SWORN: u8 = OFFICER | SPECIAL;
const POLICE: u8 = OFFICER | SPECIAL | STAFF;
const ANY: u8 = POLICE | PROBATION | PRISON;

fn role_bit(role: SyntheticRole) -> u8 {
    match role {
        SyntheticRole::PoliceOfficer => OFFICER,
        SyntheticRole::SpecialConstable => SPECIAL,
        SyntheticRole::PoliceStaff => STAFF,
        SyntheticRole::ProbationOfficer => PROBATION,
        SyntheticRole::PrisonOfficer => PRISON,
    }
}

const HONESTY: &str = "honesty and integrity";
const DISCREDITABLE: &str = "discreditable conduct";
const RESPECT: &str = "authority, respect and courtesy";
const EQUALITY: &str = "equality and diversity";
const FORCE: &str = "use of force";
const ORDERS: &str = "orders and instructions";
const DUTIES: &str = "duties and responsibilities";
const CONFIDENTIALITY: &str = "confidentiality";
const FITNESS: &str = "fitness for work";
const CHALLENGING: &str = "challenging and reporting improper conduct";

const SCENARIOS: &[Scenario] = &[
    Scenario {
        reason: "Misuse of police systems for personal gain",
        standards: &[CONFIDENTIALITY, HONESTY, DISCREDITABLE],
        roles: POLICE,
        incompetence: false,
        weight: 90,
    },
    Scenario {
        reason: "Searching police records about family and friends without a policing purpose",
        standards: &[CONFIDENTIALITY, ORDERS],
        roles: POLICE,
        incompetence: false,
        weight: 60,
    },
    Scenario {
        reason: "Abuse of position for a sexual purpose with a vulnerable victim",
        standards: &[RESPECT, HONESTY, DISCREDITABLE],
        roles: SWORN,
        incompetence: false,
        weight: 80,
    },
    Scenario {
        reason: "Inappropriate relationship with a member of the public met on duty",
        standards: &[HONESTY, DISCREDITABLE],
        roles: SWORN | STAFF,
        incompetence: false,
        weight: 40,
    },
    Scenario {
        reason: "Dishonest account given in a witness statement",
        standards: &[HONESTY, DUTIES],
        roles: SWORN,
        incompetence: false,
        weight: 50,
    },
    Scenario {
        reason: "Drink-driving while off duty",
        standards: &[DISCREDITABLE],
        roles: ANY,
        incompetence: false,
        weight: 60,
    },
    Scenario {
        reason: "Racist and misogynistic messages in a work group chat",
        standards: &[EQUALITY, RESPECT, DISCREDITABLE],
        roles: ANY,
        incompetence: false,
        weight: 60,
    },
    Scenario {
        reason: "Failure to challenge or report colleagues' offensive messages",
        standards: &[CHALLENGING],
        roles: ANY,
        incompetence: false,
        weight: 20,
    },
    Scenario {
        reason: "Excessive force against a detained person",
        standards: &[FORCE, DISCREDITABLE],
        roles: SWORN | PRISON,
        incompetence: false,
        weight: 35,
    },
    Scenario {
        reason: "Failure to declare a business interest and secondary employment",
        standards: &[HONESTY, ORDERS],
        roles: ANY,
        incompetence: false,
        weight: 25,
    },
    Scenario {
        reason: "Theft of seized property",
        standards: &[HONESTY, DISCREDITABLE],
        roles: POLICE,
        incompetence: false,
        weight: 25,
    },
    Scenario {
        reason: "Disclosure of confidential information to a third party",
        standards: &[CONFIDENTIALITY, HONESTY],
        roles: ANY,
        incompetence: false,
        weight: 40,
    },
    Scenario {
        reason: "Controlling and coercive behaviour towards a partner",
        standards: &[DISCREDITABLE],
        roles: ANY,
        incompetence: false,
        weight: 35,
    },
    Scenario {
        reason: "False overtime and expense claims",
        standards: &[HONESTY],
        roles: ANY,
        incompetence: false,
        weight: 30,
    },
    Scenario {
        reason: "Repeated failure to attend duty without good reason",
        standards: &[DUTIES, ORDERS],
        roles: ANY,
        incompetence: false,
        weight: 20,
    },
    Scenario {
        reason: "Attending duty unfit through alcohol",
        standards: &[FITNESS, DISCREDITABLE],
        roles: ANY,
        incompetence: false,
        weight: 15,
    },
    Scenario {
        reason: "Possession of indecent images of children",
        standards: &[DISCREDITABLE],
        roles: ANY,
        incompetence: false,
        weight: 25,
    },
    Scenario {
        reason: "Possession and use of controlled drugs",
        standards: &[DISCREDITABLE, FITNESS],
        roles: ANY,
        incompetence: false,
        weight: 25,
    },
    Scenario {
        reason: "Bullying and harassment of junior colleagues",
        standards: &[RESPECT, EQUALITY],
        roles: ANY,
        incompetence: false,
        weight: 30,
    },
    Scenario {
        reason: "Sexual harassment of a colleague",
        standards: &[RESPECT, DISCREDITABLE],
        roles: ANY,
        incompetence: false,
        weight: 40,
    },
    Scenario {
        reason: "Failure to investigate reported crimes",
        standards: &[DUTIES],
        roles: SWORN,
        incompetence: false,
        weight: 20,
    },
    Scenario {
        reason: "Misconduct in public office: a corrupt relationship with an organised crime group",
        standards: &[HONESTY, CONFIDENTIALITY, DISCREDITABLE],
        roles: ANY,
        incompetence: false,
        weight: 15,
    },
    Scenario {
        reason: "Failure to declare an association with a person involved in crime",
        standards: &[HONESTY, ORDERS],
        roles: ANY,
        incompetence: false,
        weight: 20,
    },
    Scenario {
        reason: "Conveying prohibited items into a prison",
        standards: &[HONESTY, DISCREDITABLE],
        roles: PRISON,
        incompetence: false,
        weight: 60,
    },
    Scenario {
        reason: "Inappropriate relationship with a prisoner",
        standards: &[HONESTY, DISCREDITABLE],
        roles: PRISON,
        incompetence: false,
        weight: 50,
    },
    Scenario {
        reason: "Failure to carry out required searches and cell checks",
        standards: &[DUTIES, ORDERS],
        roles: PRISON,
        incompetence: false,
        weight: 20,
    },
    Scenario {
        reason: "Inappropriate relationship with a person on probation",
        standards: &[HONESTY, DISCREDITABLE],
        roles: PROBATION,
        incompetence: false,
        weight: 50,
    },
    Scenario {
        reason: "Unauthorised disclosure of information about a person on probation",
        standards: &[CONFIDENTIALITY],
        roles: PROBATION,
        incompetence: false,
        weight: 30,
    },
    Scenario {
        reason: "Falsifying records of supervision appointments",
        standards: &[HONESTY, DUTIES],
        roles: PROBATION,
        incompetence: false,
        weight: 25,
    },
    Scenario {
        reason: "Gross incompetence: repeated failure to carry out investigations to the required standard",
        standards: &[DUTIES],
        roles: OFFICER,
        incompetence: true,
        weight: 8,
    },
];

/// The 43 territorial forces of England and Wales and British Transport Police, weighted by
/// roughly how many officers each has (hundreds).
const FORCES: &[(&str, u32)] = &[
    ("Avon and Somerset Constabulary", 30),
    ("Bedfordshire Police", 14),
    ("Cambridgeshire Constabulary", 17),
    ("Cheshire Constabulary", 22),
    ("City of London Police", 10),
    ("Cleveland Police", 15),
    ("Cumbria Constabulary", 13),
    ("Derbyshire Constabulary", 20),
    ("Devon and Cornwall Police", 36),
    ("Dorset Police", 13),
    ("Durham Constabulary", 13),
    ("Dyfed-Powys Police", 13),
    ("Essex Police", 37),
    ("Gloucestershire Constabulary", 12),
    ("Greater Manchester Police", 79),
    ("Gwent Police", 15),
    ("Hampshire and Isle of Wight Constabulary", 35),
    ("Hertfordshire Constabulary", 23),
    ("Humberside Police", 21),
    ("Kent Police", 40),
    ("Lancashire Constabulary", 34),
    ("Leicestershire Police", 23),
    ("Lincolnshire Police", 12),
    ("Merseyside Police", 40),
    ("Metropolitan Police Service", 340),
    ("Norfolk Constabulary", 18),
    ("North Wales Police", 16),
    ("North Yorkshire Police", 16),
    ("Northamptonshire Police", 14),
    ("Northumbria Police", 36),
    ("Nottinghamshire Police", 23),
    ("South Wales Police", 33),
    ("South Yorkshire Police", 30),
    ("Staffordshire Police", 18),
    ("Suffolk Constabulary", 14),
    ("Surrey Police", 22),
    ("Sussex Police", 30),
    ("Thames Valley Police", 50),
    ("Warwickshire Police", 10),
    ("West Mercia Police", 24),
    ("West Midlands Police", 75),
    ("West Yorkshire Police", 60),
    ("Wiltshire Police", 11),
    ("British Transport Police", 30),
];

/// The twelve probation regions of England and Wales.
const PROBATION_REGIONS: &[(&str, u32)] = &[
    ("Probation Service North East", 8),
    ("Probation Service North West", 12),
    ("Probation Service Yorkshire and the Humber", 10),
    ("Probation Service Greater Manchester", 9),
    ("Probation Service West Midlands", 11),
    ("Probation Service East Midlands", 9),
    ("Probation Service East of England", 10),
    ("Probation Service London", 16),
    ("Probation Service Kent, Surrey and Sussex", 9),
    ("Probation Service South West", 8),
    ("Probation Service South Central", 8),
    ("Probation Service Wales", 8),
];

/// Publicly run prisons of England and Wales.
const PRISONS: &[(&str, u32)] = &[
    ("HMP Wandsworth", 10),
    ("HMP Pentonville", 8),
    ("HMP Wormwood Scrubs", 8),
    ("HMP Belmarsh", 8),
    ("HMP Brixton", 5),
    ("HMP Liverpool", 8),
    ("HMP Manchester", 7),
    ("HMP Birmingham", 9),
    ("HMP Hewell", 7),
    ("HMP Leeds", 8),
    ("HMP Hull", 7),
    ("HMP Durham", 7),
    ("HMP Frankland", 5),
    ("HMP Full Sutton", 4),
    ("HMP Bristol", 5),
    ("HMP Exeter", 4),
    ("HMP Winchester", 5),
    ("HMP Isle of Wight", 8),
    ("HMP Lewes", 5),
    ("HMP Elmley", 7),
    ("HMP Nottingham", 7),
    ("HMP Cardiff", 6),
    ("HMP Swansea", 4),
    ("HMP Berwyn", 10),
    ("HMP Long Lartin", 4),
    ("HMP Whitemoor", 4),
    ("HMP Styal", 4),
    ("HMP Altcourse", 8),
];

/// Who investigates corruption among prison and probation staff.
const HMPPS_CCU: &str = "HMPPS Counter-Corruption Unit";

const OFFICER_RANKS: &[(&str, u32)] = &[
    ("Constable", 640),
    ("Detective Constable", 100),
    ("Sergeant", 140),
    ("Detective Sergeant", 30),
    ("Inspector", 50),
    ("Detective Inspector", 10),
    ("Chief Inspector", 20),
    ("Superintendent", 8),
    ("Chief Superintendent", 2),
];
const SPECIAL_RANKS: &[(&str, u32)] = &[
    ("Special Constable", 90),
    ("Special Sergeant", 8),
    ("Special Inspector", 2),
];
const STAFF_TITLES: &[(&str, u32)] = &[
    ("Police Community Support Officer", 30),
    ("Detention Officer", 12),
    ("Call Handler", 15),
    ("Control Room Operator", 10),
    ("Police Staff Investigator", 10),
    ("Intelligence Analyst", 8),
    ("Crime Scene Investigator", 6),
    ("Digital Forensics Investigator", 4),
    ("Front Counter Officer", 6),
    ("Case Officer", 6),
    ("Fleet Technician", 3),
    ("HR Adviser", 3),
    ("Finance Officer", 3),
    ("Vetting Officer", 2),
];
const PROBATION_GRADES: &[(&str, u32)] = &[
    ("Probation Officer", 60),
    ("Probation Services Officer", 30),
    ("Senior Probation Officer", 10),
];
const PRISON_GRADES: &[(&str, u32)] = &[
    ("Prison Officer", 70),
    ("Supervising Officer", 12),
    ("Custodial Manager", 8),
    ("Operational Support Grade", 10),
];

const ROLES_BARRED: &[(SyntheticRole, u32)] = &[
    (SyntheticRole::PoliceOfficer, 560),
    (SyntheticRole::SpecialConstable, 60),
    (SyntheticRole::PoliceStaff, 200),
    (SyntheticRole::ProbationOfficer, 60),
    (SyntheticRole::PrisonOfficer, 120),
];
/// The advisory list is a police list: HMPPS has no equivalent.
const ROLES_ADVISORY: &[(SyntheticRole, u32)] = &[
    (SyntheticRole::PoliceOfficer, 750),
    (SyntheticRole::SpecialConstable, 80),
    (SyntheticRole::PoliceStaff, 170),
];
const ROLES_INVESTIGATION: &[(SyntheticRole, u32)] = &[
    (SyntheticRole::PoliceOfficer, 560),
    (SyntheticRole::SpecialConstable, 40),
    (SyntheticRole::PoliceStaff, 180),
    (SyntheticRole::ProbationOfficer, 80),
    (SyntheticRole::PrisonOfficer, 140),
];

/// Formal given names and the short forms people go by.
const NICKNAMES: &[(&str, &str)] = &[
    ("Robert", "Bob"),
    ("William", "Bill"),
    ("Richard", "Rick"),
    ("James", "Jim"),
    ("Michael", "Mick"),
    ("Christopher", "Chris"),
    ("Anthony", "Tony"),
    ("Stephen", "Steve"),
    ("Steven", "Steve"),
    ("Thomas", "Tom"),
    ("Daniel", "Danny"),
    ("Matthew", "Matt"),
    ("Andrew", "Andy"),
    ("Peter", "Pete"),
    ("Nicholas", "Nick"),
    ("Jonathan", "Jon"),
    ("Edward", "Ted"),
    ("Joseph", "Joe"),
    ("Samuel", "Sam"),
    ("Benjamin", "Ben"),
    ("Alexander", "Alex"),
    ("David", "Dave"),
    ("Kenneth", "Ken"),
    ("Terence", "Terry"),
    ("Elizabeth", "Liz"),
    ("Katherine", "Kate"),
    ("Catherine", "Cathy"),
    ("Rebecca", "Becky"),
    ("Samantha", "Sam"),
    ("Victoria", "Vicky"),
    ("Jennifer", "Jenny"),
    ("Margaret", "Maggie"),
    ("Deborah", "Debbie"),
    ("Susan", "Sue"),
    ("Patricia", "Trish"),
    ("Jacqueline", "Jackie"),
    ("Christine", "Chris"),
    ("Alexandra", "Alex"),
    ("Abigail", "Abi"),
    ("Philippa", "Pippa"),
    ("Natalie", "Nat"),
];

/// Surnames only women carry; a man drawing one draws again.
const FEMALE_ONLY_SURNAMES: &[&str] = &["Begum", "Bibi", "Kaur"];

/// First elements of English place-name surnames, for the synthesised long tail.
const TAIL_PREFIXES: &[&str] = &[
    "Ash", "Ald", "Alder", "Ather", "Bar", "Bark", "Bart", "Bay", "Beck", "Bel", "Ben", "Bent",
    "Bick", "Bin", "Birch", "Black", "Blake", "Blen", "Bol", "Booth", "Brad", "Bram", "Bran",
    "Brent", "Brid", "Brig", "Brom", "Brook", "Brough", "Buck", "Bur", "Burn", "Cal", "Cam", "Car",
    "Carl", "Chad", "Chal", "Chat", "Ched", "Chil", "Chis", "Church", "Clay", "Clif", "Cold",
    "Comp", "Cot", "Crab", "Cran", "Crom", "Cross", "Dal", "Dar", "Den", "Dun", "Eas", "Ed", "Elm",
    "Ever", "Fair", "Farn", "Fen", "Fin", "Fox", "Gar", "Gil", "Glad", "Good", "Gold", "Grant",
    "Grim", "Hal", "Ham", "Har", "Hart", "Has", "Hat", "Haw", "Hay", "Hazel", "Hen", "Her", "Hey",
    "Hol", "Hor", "Hun", "Ing", "Kel", "Ken", "Kin", "Kings", "Kir", "Lang", "Lath", "Law", "Lea",
    "Ling", "Lit", "Lock", "Long", "Lud", "Lyn", "Mal", "Man", "Mar", "Mel", "Mid", "Mil", "Mor",
    "Moss", "Nether", "New", "Nor", "Ock", "Old", "Os", "Ot", "Pad", "Pick", "Pil", "Pres", "Rad",
    "Ram", "Rat", "Raven", "Red", "Ribb", "Rick", "Rid", "Ris", "Rom", "Ros", "Row", "Rud", "Ry",
    "Sal", "Sand", "Sax", "Scar", "Sed", "Shar", "Shel", "Sher", "Ship", "Shor", "Sil", "Skel",
    "Sled", "Sol", "Stain", "Stan", "Staple", "Stock", "Stone", "Stow", "Strat", "Sud", "Sum",
    "Sut", "Swin", "Tad", "Tam", "Tan", "Tay", "Thorn", "Thur", "Tid", "Tun", "Up", "Wad", "Wal",
    "Wals", "War", "Wat", "Wed", "Wel", "West", "Wet", "Whit", "Wick", "Wil", "Win", "Wol", "Wood",
    "Wor", "Wy", "Yar", "Yate", "Abing", "Apple", "Arken", "Aus", "Aven", "Bams", "Barn", "Beau",
    "Bil", "Bing", "Bod", "Boul", "Brack", "Bray", "Brin", "Bux", "Caul", "Charl", "Cheet", "Chor",
    "Clap", "Cleck", "Coll", "Cor", "Cray", "Dack", "Dains", "Dew", "Dray", "Dur", "Eg", "Ers",
    "Fal", "Fel", "Fol", "Frod", "Gains", "Gat", "Gos", "Hab", "Hask", "Hebb", "Hods", "Hux",
];

/// Second elements of English place-name surnames.
const TAIL_SUFFIXES: &[&str] = &[
    "worth", "ley", "ton", "field", "ford", "by", "ham", "well", "wood", "more", "combe", "shaw",
    "bury", "den", "hurst", "stone", "hall", "wick", "thorpe", "cliffe", "dale", "bridge", "brook",
    "low", "ridge", "cott", "ington", "ingham", "sley", "stead", "ston", "hill", "way", "house",
    "man", "er", "wright", "gate", "burn", "side", "mere", "land", "croft", "holme", "acre",
    "lock", "marsh", "mouth", "port", "wade", "ward", "wall", "hallow", "ock", "cock", "kin",
    "kins", "lin", "ling", "ett", "ing", "ings", "ell", "son", "bourne", "borough", "ney", "ell",
    "field", "fold", "garth", "green", "grove", "haugh", "head", "heath", "hope", "lake", "lands",
    "ley", "lees", "leigh", "lowe", "mond", "moor", "more", "nell", "over", "ridge", "rick",
    "rigg", "ridding", "shott", "stock", "stow", "stall", "thwaite", "tree", "vale", "well",
    "wold", "worthy", "yard", "berg", "biggin", "botham", "bottom", "bridge", "church", "clough",
    "cote", "cray", "dell", "don", "edge", "end", "fen", "forth", "gill", "hay",
];

/// Gaelic stems of Mc and Mac names.
const GAELIC_STEMS: &[&str] = &[
    "Allister", "Ardle", "Aulay", "Bain", "Bride", "Cabe", "Call", "Cann", "Caskill", "Clean",
    "Clure", "Coll", "Connell", "Cormack", "Crae", "Cready", "Culloch", "Dermott", "Dougall",
    "Dowell", "Elroy", "Ewan", "Fadyen", "Farlane", "Gee", "Gill", "Ginley", "Gowan", "Grath",
    "Gregor", "Guinness", "Hugh", "Innes", "Intosh", "Intyre", "Iver", "Kay", "Kee", "Kenna",
    "Kinnon", "Lachlan", "Laren", "Laughlin", "Leod", "Lennan", "Mahon", "Manus", "Master",
    "Millan", "Morrow", "Murdo", "Nab", "Nair", "Namara", "Naughton", "Neil", "Nulty", "Pherson",
    "Quarrie", "Queen", "Rae", "Ritchie", "Shane", "Sorley", "Sweeney", "Taggart", "Tavish", "Vey",
    "Vicar", "Whirter", "William",
];

/// Irish stems of O' names.
const IRISH_STEMS: &[&str] = &[
    "Brien",
    "Byrne",
    "Callaghan",
    "Carroll",
    "Connell",
    "Dea",
    "Doherty",
    "Donnell",
    "Donoghue",
    "Donovan",
    "Driscoll",
    "Dwyer",
    "Farrell",
    "Flaherty",
    "Gorman",
    "Grady",
    "Hagan",
    "Hara",
    "Hare",
    "Keeffe",
    "Kane",
    "Leary",
    "Loughlin",
    "Mahony",
    "Malley",
    "Meara",
    "Neill",
    "Regan",
    "Reilly",
    "Riordan",
    "Rourke",
    "Shea",
    "Shaughnessy",
    "Sullivan",
    "Toole",
];

/// Cornish place-name surnames: Tre, Pol and Pen, then a second element.
const CORNISH_PREFIXES: &[&str] = &["Tre", "Pol", "Pen", "Ros", "Car"];
const CORNISH_SUFFIXES: &[&str] = &[
    "hallow", "wartha", "dinnick", "gelly", "warden", "haligon", "garthen", "lawny", "dennis",
    "owan", "tillie", "vithick", "maine", "darves", "rith", "gilly", "glaze", "whella", "hale",
    "santon", "kerris", "zance",
];

/// Names the demo shows off: apostrophes, Mc and Mac, accents, spaces and hyphens.
const DEMO_FAMILY_NAMES: &[&str] = &[
    "O'Neill",
    "McDonald",
    "Ó Súilleabháin",
    "Bowes-Lyon",
    "D'Souza",
    "MacKenzie",
    "Müller",
    "Payne-Ryan",
    "O'Brien",
    "Wiśniewski",
];
const DEMO_MALE_NAMES: &[&str] = &["Seán", "René", "Ciarán", "Jérôme", "Łukasz"];
const DEMO_FEMALE_NAMES: &[&str] = &["Siân", "Zoë", "Renée", "Chloë", "Róisín"];
/// Common British family names in frequency order (after the 2011 census), weights falling like
/// Zipf's law: Smith is about 3% of these draws, so about 1.3% of everyone.
const GENERAL_SURNAMES: &[(&str, u32)] = &[
    ("Smith", 10000),
    ("Jones", 7228),
    ("Williams", 5978),
    ("Taylor", 5224),
    ("Brown", 4706),
    ("Davies", 4320),
    ("Evans", 4019),
    ("Wilson", 3776),
    ("Thomas", 3573),
    ("Johnson", 3401),
    ("Roberts", 3253),
    ("Robinson", 3123),
    ("Thompson", 3008),
    ("Wright", 2905),
    ("Walker", 2813),
    ("White", 2729),
    ("Edwards", 2653),
    ("Hughes", 2583),
    ("Green", 2518),
    ("Hall", 2458),
    ("Lewis", 2403),
    ("Harris", 2351),
    ("Clarke", 2302),
    ("Jackson", 2257),
    ("Wood", 2214),
    ("Turner", 2174),
    ("Martin", 2136),
    ("Cooper", 2100),
    ("Hill", 2066),
    ("Ward", 2033),
    ("Morris", 2002),
    ("Moore", 1972),
    ("Clark", 1944),
    ("Lee", 1917),
    ("King", 1891),
    ("Baker", 1867),
    ("Harrison", 1843),
    ("Morgan", 1820),
    ("Allen", 1798),
    ("James", 1777),
    ("Scott", 1756),
    ("Phillips", 1737),
    ("Watson", 1718),
    ("Davis", 1699),
    ("Parker", 1681),
    ("Price", 1664),
    ("Bennett", 1647),
    ("Young", 1631),
    ("Griffiths", 1616),
    ("Mitchell", 1600),
    ("Kelly", 1586),
    ("Cook", 1571),
    ("Carter", 1557),
    ("Richardson", 1544),
    ("Bailey", 1531),
    ("Collins", 1518),
    ("Bell", 1505),
    ("Shaw", 1493),
    ("Murphy", 1481),
    ("Miller", 1469),
    ("Cox", 1458),
    ("Richards", 1447),
    ("Marshall", 1436),
    ("Anderson", 1426),
    ("Simpson", 1415),
    ("Ellis", 1405),
    ("Adams", 1395),
    ("Wilkinson", 1386),
    ("Foster", 1376),
    ("Chapman", 1367),
    ("Powell", 1358),
    ("Webb", 1349),
    ("Rogers", 1340),
    ("Gray", 1332),
    ("Mason", 1324),
    ("Hunt", 1315),
    ("Campbell", 1307),
    ("Matthews", 1299),
    ("Owen", 1292),
    ("Palmer", 1284),
    ("Holmes", 1277),
    ("Mills", 1269),
    ("Barnes", 1262),
    ("Knight", 1255),
    ("Lloyd", 1248),
    ("Butler", 1241),
    ("Russell", 1235),
    ("Barker", 1228),
    ("Fisher", 1222),
    ("Stevens", 1215),
    ("Jenkins", 1209),
    ("Murray", 1203),
    ("Dixon", 1197),
    ("Harvey", 1191),
    ("Graham", 1185),
    ("Pearson", 1179),
    ("Fletcher", 1173),
    ("Walsh", 1168),
    ("Gibson", 1162),
    ("Howard", 1157),
    ("Andrews", 1151),
    ("Stewart", 1146),
    ("Elliott", 1141),
    ("Reynolds", 1136),
    ("Saunders", 1131),
    ("Payne", 1126),
    ("Fox", 1121),
    ("Ford", 1116),
    ("Pearce", 1111),
    ("Day", 1106),
    ("Brooks", 1102),
    ("West", 1097),
    ("Lawrence", 1092),
    ("Cole", 1088),
    ("Atkinson", 1083),
    ("Bradley", 1079),
    ("Spencer", 1075),
    ("Dawson", 1070),
    ("Ball", 1066),
    ("Burton", 1062),
    ("O'Brien", 1058),
    ("Watts", 1054),
    ("Rose", 1050),
    ("Booth", 1046),
    ("Perry", 1042),
    ("Ryan", 1038),
    ("Grant", 1034),
    ("Wells", 1030),
    ("Armstrong", 1027),
    ("Francis", 1023),
    ("Rees", 1019),
    ("Hayes", 1016),
    ("Hart", 1012),
    ("Hudson", 1009),
    ("Newman", 1005),
    ("Barrett", 1002),
    ("Webster", 998),
    ("Hunter", 995),
    ("Gregory", 991),
    ("Carr", 988),
    ("Lowe", 985),
    ("Page", 982),
    ("Marsh", 978),
    ("Riley", 975),
    ("Dunn", 972),
    ("Woods", 969),
    ("Parsons", 966),
    ("Berry", 963),
    ("Stone", 960),
    ("Reid", 957),
    ("Holland", 954),
    ("Hawkins", 951),
    ("Harding", 948),
    ("Porter", 945),
    ("Robertson", 942),
    ("Newton", 939),
    ("Oliver", 936),
    ("Reed", 934),
    ("Kennedy", 931),
    ("Williamson", 928),
    ("Bird", 925),
    ("Gardner", 923),
    ("Dean", 920),
    ("Lane", 917),
    ("Cooke", 915),
    ("Bates", 912),
    ("Henderson", 910),
    ("Parry", 907),
    ("Burgess", 905),
    ("Bishop", 902),
    ("Walton", 900),
    ("Burns", 897),
    ("Nicholson", 895),
    ("Shepherd", 892),
    ("Ross", 890),
    ("Cross", 888),
    ("Long", 885),
    ("Freeman", 883),
    ("Warren", 881),
    ("Nicholls", 878),
    ("Hamilton", 876),
    ("Byrne", 874),
    ("Sutton", 872),
    ("McDonald", 869),
    ("Yates", 867),
    ("Hodgson", 865),
    ("Robson", 863),
    ("Curtis", 861),
    ("Hopkins", 858),
    ("O'Connor", 856),
    ("Harper", 854),
    ("Coleman", 852),
    ("Watkins", 850),
    ("Moss", 848),
    ("McCarthy", 846),
    ("Chambers", 844),
    ("O'Neill", 842),
    ("Griffin", 840),
    ("Sharp", 838),
    ("Hardy", 836),
    ("Wheeler", 834),
    ("Potter", 832),
    ("Osborne", 830),
    ("Johnston", 828),
    ("Gordon", 826),
    ("Doyle", 825),
    ("Wallace", 823),
    ("George", 821),
    ("Jordan", 819),
    ("Hutchinson", 817),
    ("Lucas", 815),
    ("Thomson", 814),
    ("Pritchard", 812),
    ("Vaughan", 810),
    ("Bowen", 808),
    ("Fraser", 806),
    ("Morrison", 805),
    ("Paterson", 803),
    ("Cameron", 801),
    ("Ferguson", 800),
    ("Duncan", 798),
    ("MacKenzie", 796),
    ("MacLeod", 794),
    ("McLean", 793),
    ("Mackay", 791),
    ("Pugh", 790),
    ("Prosser", 788),
    ("Llewellyn", 786),
    ("Whitehead", 785),
    ("Holt", 783),
    ("Kay", 781),
    ("Norris", 780),
    ("Tucker", 778),
    ("Lamb", 777),
    ("Abbott", 775),
    ("Fowler", 774),
    ("Barber", 772),
    ("Howell", 771),
    ("Jarvis", 769),
    ("Ashton", 768),
    ("Lord", 766),
    ("Kirby", 765),
    ("Slater", 763),
    ("Bentley", 762),
    ("Crawford", 760),
    ("Holden", 759),
    ("Sanderson", 757),
    ("Middleton", 756),
    ("Hewitt", 754),
    ("Tomlinson", 753),
    ("Frost", 752),
    ("Wade", 750),
    ("Kemp", 749),
    ("Nash", 747),
    ("Brennan", 746),
    ("D'Arcy", 60),
    ("Le Page", 60),
    ("St John", 60),
    ("De Souza", 60),
    ("D'Souza", 60),
    ("Smith-Jones", 60),
    ("Payne-Ryan", 60),
    ("Bowes-Lyon", 60),
    ("Fiennes-Clinton", 60),
    ("Lloyd-Webber", 60),
    ("Hughes-Davies", 60),
    ("Pryce-Jones", 60),
    ("Van der Merwe", 60),
    ("MacDonald", 60),
    ("McKenzie", 60),
    ("Ó Súilleabháin", 60),
    ("Müller", 60),
];

/// Common British men's given names, most frequent first.
const GENERAL_MALE: &[(&str, u32)] = &[
    ("David", 1000),
    ("John", 595),
    ("Paul", 439),
    ("Mark", 354),
    ("James", 299),
    ("Michael", 261),
    ("Andrew", 232),
    ("Peter", 210),
    ("Robert", 192),
    ("Stephen", 178),
    ("Richard", 166),
    ("Christopher", 155),
    ("Daniel", 146),
    ("Matthew", 138),
    ("Thomas", 131),
    ("Ian", 125),
    ("Simon", 119),
    ("Gary", 114),
    ("Steven", 110),
    ("Anthony", 106),
    ("Kevin", 102),
    ("Martin", 98),
    ("Lee", 95),
    ("Jason", 92),
    ("Darren", 89),
    ("Neil", 87),
    ("Alan", 84),
    ("Philip", 82),
    ("Jonathan", 80),
    ("Adam", 78),
    ("Craig", 76),
    ("Nicholas", 74),
    ("Wayne", 73),
    ("Stuart", 71),
    ("Graham", 69),
    ("Keith", 68),
    ("Brian", 67),
    ("Colin", 65),
    ("Tony", 64),
    ("William", 63),
    ("Benjamin", 62),
    ("Samuel", 61),
    ("Joseph", 60),
    ("Ryan", 59),
    ("Luke", 58),
    ("Jamie", 57),
    ("Scott", 56),
    ("Carl", 55),
    ("Dean", 54),
    ("Shaun", 53),
    ("Sean", 52),
    ("Alexander", 52),
    ("Edward", 51),
    ("George", 50),
    ("Jack", 50),
    ("Oliver", 49),
    ("Harry", 48),
    ("Joshua", 48),
    ("Nathan", 47),
    ("Liam", 46),
    ("Aaron", 46),
    ("Kieran", 45),
    ("Callum", 45),
    ("Connor", 44),
    ("Jordan", 44),
    ("Bradley", 43),
    ("Ashley", 43),
    ("Marcus", 42),
    ("Gareth", 42),
    ("Rhys", 41),
    ("Dylan", 41),
    ("Owen", 40),
    ("Gavin", 40),
    ("Russell", 40),
    ("Barry", 39),
    ("Trevor", 39),
    ("Roger", 38),
    ("Malcolm", 38),
    ("Derek", 38),
    ("Raymond", 37),
    ("Terence", 37),
    ("Kenneth", 37),
    ("Geoffrey", 36),
    ("Nigel", 36),
    ("Julian", 36),
    ("Dominic", 35),
    ("Patrick", 35),
    ("Timothy", 35),
    ("Jeremy", 35),
    ("Hugh", 34),
    ("Duncan", 34),
    ("Fraser", 34),
    ("Alistair", 33),
    ("Angus", 33),
    ("Euan", 33),
    ("Gordon", 33),
    ("Ross", 32),
    ("Glen", 32),
    ("Dale", 32),
    ("Lewis", 32),
    ("Kyle", 31),
    ("Jake", 31),
    ("Charlie", 31),
    ("Tom", 31),
    ("Ben", 30),
    ("Sam", 30),
    ("Max", 30),
    ("Elliot", 30),
    ("Toby", 30),
    ("Joel", 29),
    ("Reece", 29),
    ("Tyler", 29),
    ("Ethan", 29),
    ("Mason", 29),
    ("Leon", 28),
    ("Louis", 28),
    ("Frederick", 28),
    ("Henry", 28),
    ("Arthur", 28),
    ("Alfie", 28),
    ("Archie", 27),
    ("Declan", 27),
    ("Sebastian", 27),
    ("Tristan", 27),
    ("Rupert", 27),
    ("Giles", 27),
    ("Rory", 26),
    ("Ewan", 26),
    ("Iwan", 26),
    ("Dafydd", 26),
    ("Gethin", 26),
    ("Rhodri", 26),
    ("Aled", 26),
    ("Huw", 25),
    ("Emyr", 25),
    ("Hamish", 25),
    ("Clive", 25),
    ("Howard", 25),
    ("Leslie", 25),
    ("Ronald", 25),
    ("Dennis", 24),
    ("Victor", 24),
    ("Vincent", 24),
    ("Francis", 24),
    ("Stanley", 24),
    ("Frank", 24),
    ("Jeffrey", 24),
    ("Glenn", 24),
    ("Warren", 23),
    ("Ricky", 23),
    ("Danny", 23),
    ("Mitchell", 23),
    ("Seán", 23),
    ("Jérôme", 23),
    ("René", 23),
];

/// Common British women's given names, most frequent first.
const GENERAL_FEMALE: &[(&str, u32)] = &[
    ("Sarah", 1000),
    ("Claire", 595),
    ("Emma", 439),
    ("Lisa", 354),
    ("Nicola", 299),
    ("Helen", 261),
    ("Karen", 232),
    ("Julie", 210),
    ("Rachel", 192),
    ("Laura", 178),
    ("Michelle", 166),
    ("Joanne", 155),
    ("Louise", 146),
    ("Samantha", 138),
    ("Amy", 131),
    ("Jessica", 125),
    ("Rebecca", 119),
    ("Kelly", 114),
    ("Victoria", 110),
    ("Hannah", 106),
    ("Gemma", 102),
    ("Kirsty", 98),
    ("Stephanie", 95),
    ("Natalie", 92),
    ("Charlotte", 89),
    ("Jennifer", 87),
    ("Elizabeth", 84),
    ("Catherine", 82),
    ("Katherine", 80),
    ("Susan", 78),
    ("Jane", 76),
    ("Alison", 74),
    ("Amanda", 73),
    ("Angela", 71),
    ("Tracey", 69),
    ("Donna", 68),
    ("Dawn", 67),
    ("Jacqueline", 65),
    ("Deborah", 64),
    ("Sharon", 63),
    ("Caroline", 62),
    ("Fiona", 61),
    ("Joanna", 60),
    ("Anna", 59),
    ("Lucy", 58),
    ("Sophie", 57),
    ("Emily", 56),
    ("Kate", 55),
    ("Katie", 54),
    ("Zoe", 53),
    ("Jodie", 52),
    ("Leanne", 52),
    ("Danielle", 51),
    ("Hayley", 50),
    ("Kerry", 50),
    ("Melanie", 49),
    ("Carol", 48),
    ("Linda", 48),
    ("Patricia", 47),
    ("Margaret", 46),
    ("Christine", 46),
    ("Wendy", 45),
    ("Janet", 45),
    ("Gillian", 44),
    ("Lynne", 44),
    ("Mandy", 43),
    ("Andrea", 43),
    ("Beverley", 42),
    ("Diane", 42),
    ("Denise", 41),
    ("Tina", 41),
    ("Sally", 40),
    ("Ruth", 40),
    ("Sian", 40),
    ("Bethan", 39),
    ("Ffion", 39),
    ("Cerys", 38),
    ("Rhian", 38),
    ("Megan", 38),
    ("Eleanor", 37),
    ("Olivia", 37),
    ("Grace", 37),
    ("Chloe", 36),
    ("Ellie", 36),
    ("Holly", 36),
    ("Lauren", 35),
    ("Georgia", 35),
    ("Abigail", 35),
    ("Bethany", 35),
    ("Jade", 34),
    ("Shannon", 34),
    ("Paige", 34),
    ("Courtney", 33),
    ("Jasmine", 33),
    ("Alice", 33),
    ("Ella", 33),
    ("Isabel", 32),
    ("Harriet", 32),
    ("Philippa", 32),
    ("Frances", 32),
    ("Ann", 31),
    ("Anne", 31),
    ("Mary", 31),
    ("Julia", 31),
    ("Vanessa", 30),
    ("Heather", 30),
    ("Lindsay", 30),
    ("Lesley", 30),
    ("Marie", 30),
    ("Kim", 29),
    ("Tanya", 29),
    ("Kathryn", 29),
    ("Suzanne", 29),
    ("Teresa", 29),
    ("Maria", 28),
    ("Naomi", 28),
    ("Esther", 28),
    ("Lydia", 28),
    ("Abbie", 28),
    ("Chelsea", 28),
    ("Toni", 27),
    ("Stacey", 27),
    ("Kayleigh", 27),
    ("Rosie", 27),
    ("Molly", 27),
    ("Freya", 27),
    ("Imogen", 26),
    ("Amelia", 26),
    ("Millie", 26),
    ("Lily", 26),
    ("Caitlin", 26),
    ("Eilidh", 26),
    ("Morag", 26),
    ("Mhairi", 25),
    ("Iona", 25),
    ("Heidi", 25),
    ("Sonia", 25),
    ("Louisa", 25),
    ("Rosemary", 25),
    ("Pauline", 25),
    ("Elaine", 24),
    ("Lorraine", 24),
    ("Yvonne", 24),
    ("Alexandra", 24),
    ("Siân", 24),
    ("Zoë", 24),
    ("Chloë", 24),
    ("Renée", 24),
    ("Aimée", 23),
    ("Niamh", 23),
];

/// Family names common among people of Irish heritage, Gaelic spellings included.
const IRISH_SURNAMES: &[(&str, u32)] = &[
    ("Murphy", 100),
    ("Kelly", 90),
    ("O'Sullivan", 70),
    ("Walsh", 70),
    ("O'Brien", 60),
    ("Byrne", 60),
    ("Ryan", 55),
    ("O'Connor", 55),
    ("O'Neill", 50),
    ("O'Reilly", 45),
    ("Doyle", 45),
    ("McCarthy", 45),
    ("Gallagher", 40),
    ("O'Doherty", 30),
    ("Kennedy", 35),
    ("Lynch", 35),
    ("Murray", 30),
    ("Quinn", 30),
    ("McLaughlin", 25),
    ("O'Carroll", 15),
    ("Connolly", 25),
    ("Daly", 25),
    ("O'Connell", 25),
    ("Brennan", 20),
    ("McGuinness", 10),
    ("Ó Súilleabháin", 4),
    ("Ó Briain", 3),
    ("Mac Cárthaigh", 2),
];

/// Irish men's given names.
const IRISH_MALE: &[(&str, u32)] = &[
    ("Seán", 30),
    ("Ciarán", 20),
    ("Niall", 20),
    ("Conor", 25),
    ("Cormac", 10),
    ("Liam", 20),
    ("Eoin", 15),
    ("Declan", 15),
    ("Pádraig", 8),
    ("Padraig", 8),
    ("Dermot", 10),
    ("Fergal", 8),
    ("Darragh", 10),
    ("Oisín", 8),
    ("Colm", 8),
    ("Brendan", 12),
    ("Kevin", 12),
    ("Patrick", 20),
    ("Michael", 15),
    ("Aidan", 10),
];

/// Irish women's given names.
const IRISH_FEMALE: &[(&str, u32)] = &[
    ("Aoife", 25),
    ("Niamh", 25),
    ("Siobhan", 20),
    ("Siobhán", 8),
    ("Saoirse", 12),
    ("Róisín", 10),
    ("Orla", 15),
    ("Ciara", 18),
    ("Aisling", 12),
    ("Sinéad", 12),
    ("Caoimhe", 8),
    ("Gráinne", 6),
    ("Máire", 4),
    ("Deirdre", 8),
    ("Clodagh", 8),
    ("Bridget", 6),
    ("Mary", 15),
    ("Catherine", 10),
];

/// Family names common among British people of Pakistani and Bangladeshi heritage.
const MUSLIM_SURNAMES: &[(&str, u32)] = &[
    ("Khan", 40),
    ("Ali", 50),
    ("Hussain", 45),
    ("Ahmed", 45),
    ("Begum", 35),
    ("Rahman", 30),
    ("Miah", 25),
    ("Islam", 20),
    ("Mahmood", 20),
    ("Akhtar", 20),
    ("Iqbal", 20),
    ("Shah", 25),
    ("Malik", 18),
    ("Butt", 12),
    ("Rashid", 12),
    ("Aziz", 10),
    ("Anwar", 10),
    ("Hassan", 12),
    ("Qureshi", 10),
    ("Mirza", 6),
    ("Chowdhury", 14),
    ("Uddin", 14),
    ("Choudhury", 8),
    ("Bibi", 8),
    ("Ahmad", 10),
    ("Raza", 6),
    ("Hanif", 6),
];

/// Men's given names common among British Muslims.
const MUSLIM_MALE: &[(&str, u32)] = &[
    ("Mohammed", 60),
    ("Muhammad", 40),
    ("Mohammad", 20),
    ("Ali", 15),
    ("Imran", 15),
    ("Amir", 10),
    ("Hassan", 10),
    ("Bilal", 10),
    ("Adil", 8),
    ("Asif", 10),
    ("Tariq", 10),
    ("Zubair", 6),
    ("Abdul", 15),
    ("Omar", 12),
    ("Usman", 10),
    ("Kamran", 8),
    ("Shahid", 8),
    ("Yusuf", 10),
    ("Ibrahim", 10),
    ("Adam", 8),
    ("Zain", 6),
    ("Faisal", 8),
    ("Sajid", 8),
    ("Nadeem", 6),
    ("Arif", 6),
];

/// Women's given names common among British Muslims.
const MUSLIM_FEMALE: &[(&str, u32)] = &[
    ("Fatima", 20),
    ("Aisha", 20),
    ("Ayesha", 12),
    ("Sana", 10),
    ("Nadia", 12),
    ("Amina", 12),
    ("Zara", 10),
    ("Yasmin", 12),
    ("Shazia", 8),
    ("Farah", 8),
    ("Nasreen", 6),
    ("Rukhsana", 5),
    ("Sadia", 8),
    ("Hina", 6),
    ("Rubina", 5),
    ("Shabana", 5),
    ("Maryam", 12),
    ("Khadija", 8),
    ("Safia", 6),
    ("Samina", 6),
    ("Tahmina", 5),
    ("Nusrat", 5),
    ("Iqra", 6),
];

/// Family names common among British people of Indian heritage.
const INDIAN_SURNAMES: &[(&str, u32)] = &[
    ("Patel", 35),
    ("Singh", 45),
    ("Kaur", 35),
    ("Sharma", 20),
    ("Kumar", 18),
    ("Mistry", 12),
    ("Parmar", 12),
    ("Sandhu", 12),
    ("Gill", 15),
    ("Bains", 8),
    ("Sidhu", 8),
    ("Shah", 15),
    ("Desai", 8),
    ("Joshi", 10),
    ("Mehta", 10),
    ("Chauhan", 10),
    ("Lal", 8),
    ("Dhillon", 10),
    ("Grewal", 8),
    ("Rai", 8),
    ("Thakkar", 6),
    ("Pandya", 5),
    ("Modi", 5),
    ("Solanki", 8),
    ("Chohan", 5),
    ("Nair", 6),
    ("Pillai", 4),
    ("Menon", 4),
    ("D'Souza", 6),
    ("Fernandes", 5),
    ("Pereira", 4),
];

/// Men's given names common among British people of Indian heritage.
const INDIAN_MALE: &[(&str, u32)] = &[
    ("Raj", 10),
    ("Rajesh", 10),
    ("Sanjay", 10),
    ("Amit", 12),
    ("Vikram", 8),
    ("Arjun", 10),
    ("Harpreet", 8),
    ("Gurpreet", 8),
    ("Jaspreet", 8),
    ("Sukhdeep", 6),
    ("Rahul", 12),
    ("Nikhil", 8),
    ("Ravi", 10),
    ("Deepak", 8),
    ("Anil", 8),
    ("Sunil", 8),
    ("Vijay", 8),
    ("Manjit", 6),
    ("Kuldip", 5),
    ("Jagdeep", 5),
    ("Hardeep", 6),
    ("Sandeep", 8),
    ("Ajay", 8),
    ("Kiran", 5),
    ("Rohan", 8),
    ("Dev", 5),
];

/// Women's given names common among British people of Indian heritage.
const INDIAN_FEMALE: &[(&str, u32)] = &[
    ("Priya", 15),
    ("Anjali", 10),
    ("Pooja", 10),
    ("Neha", 10),
    ("Simran", 8),
    ("Harpreet", 8),
    ("Gurpreet", 6),
    ("Jaspreet", 6),
    ("Manpreet", 8),
    ("Sunita", 8),
    ("Anita", 8),
    ("Kavita", 6),
    ("Meena", 6),
    ("Reena", 6),
    ("Rupinder", 5),
    ("Kiran", 6),
    ("Nisha", 8),
    ("Asha", 6),
    ("Sonia", 6),
    ("Divya", 6),
    ("Rina", 5),
    ("Jasvinder", 5),
    ("Parminder", 5),
    ("Shreya", 5),
];

/// Family names common among British people of Nigerian and Ghanaian heritage.
const WEST_AFRICAN_SURNAMES: &[(&str, u32)] = &[
    ("Adeyemi", 15),
    ("Okafor", 12),
    ("Mensah", 15),
    ("Owusu", 15),
    ("Adebayo", 12),
    ("Okonkwo", 10),
    ("Boateng", 12),
    ("Asante", 10),
    ("Nwosu", 8),
    ("Eze", 8),
    ("Bello", 8),
    ("Abiodun", 6),
    ("Olawale", 6),
    ("Ogunleye", 6),
    ("Appiah", 10),
    ("Osei", 12),
    ("Agyeman", 8),
    ("Danso", 6),
    ("Adewale", 8),
    ("Oyelaran", 3),
    ("Okoro", 8),
    ("Afolabi", 8),
    ("Ogunbiyi", 5),
    ("Acheampong", 6),
    ("Obi", 8),
];

/// Men's given names common among British people of West African heritage.
const WEST_AFRICAN_MALE: &[(&str, u32)] = &[
    ("Oluwaseun", 8),
    ("Chinedu", 8),
    ("Kwame", 10),
    ("Kofi", 10),
    ("Emmanuel", 15),
    ("Samuel", 12),
    ("Olumide", 6),
    ("Tunde", 8),
    ("Chukwuemeka", 5),
    ("Kwabena", 6),
    ("Yaw", 6),
    ("Ayodele", 5),
    ("Femi", 8),
    ("Daniel", 10),
    ("David", 10),
    ("Ikenna", 5),
    ("Segun", 6),
    ("Kwasi", 5),
];

/// Women's given names common among British people of West African heritage.
const WEST_AFRICAN_FEMALE: &[(&str, u32)] = &[
    ("Oluwaseun", 6),
    ("Chioma", 10),
    ("Ngozi", 8),
    ("Funmilayo", 6),
    ("Abena", 8),
    ("Ama", 8),
    ("Adaeze", 6),
    ("Blessing", 12),
    ("Grace", 12),
    ("Folake", 6),
    ("Esi", 5),
    ("Yetunde", 6),
    ("Adwoa", 6),
    ("Precious", 8),
    ("Abimbola", 5),
    ("Efua", 5),
    ("Joy", 8),
    ("Comfort", 6),
];

/// Family names common among British people of Polish and other European heritage (masculine
/// forms; see [`feminine`]).
const EUROPEAN_SURNAMES: &[(&str, u32)] = &[
    ("Nowak", 30),
    ("Kowalski", 25),
    ("Wiśniewski", 15),
    ("Wójcik", 15),
    ("Kowalczyk", 15),
    ("Kamiński", 12),
    ("Lewandowski", 12),
    ("Zieliński", 10),
    ("Szymański", 10),
    ("Woźniak", 10),
    ("Dąbrowski", 10),
    ("Kozłowski", 8),
    ("Mazur", 10),
    ("Krawczyk", 8),
    ("Jankowski", 8),
    ("Popescu", 10),
    ("Ionescu", 6),
    ("Kazlauskas", 6),
    ("Petrauskas", 5),
    ("Horváth", 5),
    ("Novák", 5),
    ("Müller", 8),
    ("Schmidt", 6),
    ("Rossi", 6),
    ("Silva", 8),
    ("Santos", 8),
    ("Ferreira", 6),
    ("Costa", 6),
];

/// Men's given names common among British people of European heritage.
const EUROPEAN_MALE: &[(&str, u32)] = &[
    ("Piotr", 15),
    ("Krzysztof", 10),
    ("Tomasz", 12),
    ("Paweł", 10),
    ("Marcin", 10),
    ("Michał", 10),
    ("Łukasz", 10),
    ("Andrzej", 6),
    ("Mateusz", 8),
    ("Jakub", 10),
    ("Kamil", 8),
    ("Adrian", 6),
    ("Andrei", 8),
    ("Mihai", 6),
    ("João", 6),
    ("Luca", 6),
    ("Marco", 6),
    ("Tomas", 6),
    ("Jonas", 5),
    ("Stefan", 5),
];

/// Women's given names common among British people of European heritage.
const EUROPEAN_FEMALE: &[(&str, u32)] = &[
    ("Anna", 15),
    ("Katarzyna", 12),
    ("Agnieszka", 10),
    ("Magdalena", 10),
    ("Joanna", 8),
    ("Małgorzata", 8),
    ("Ewa", 8),
    ("Aleksandra", 8),
    ("Monika", 8),
    ("Justyna", 6),
    ("Natalia", 8),
    ("Ioana", 6),
    ("Elena", 6),
    ("Ana", 6),
    ("Maria", 8),
    ("Giulia", 5),
    ("Beatriz", 5),
    ("Laura", 5),
    ("Zsófia", 4),
    ("Eva", 5),
];

/// A deterministic generator of synthetic people: the same seed gives the same people.
pub struct Generator {
    seed: u64,
    rng: StdRng,
    heritage: Table<Heritage>,
    names: Heritages,
    /// Synthesised rarer family names, in the order of how often they are drawn.
    tail: Vec<String>,
    forces: Names,
    probation_regions: Names,
    prisons: Names,
    officer_ranks: Names,
    special_ranks: Names,
    staff_titles: Names,
    probation_grades: Names,
    prison_grades: Names,
    roles_barred: Table<SyntheticRole>,
    roles_advisory: Table<SyntheticRole>,
    roles_investigation: Table<SyntheticRole>,
    /// Scenarios that fit each role, in the order of [`role_index`].
    scenarios: [Table<&'static Scenario>; 5],
    /// National insurance prefixes of valid shape.
    ni_prefixes: Vec<[u8; 2]>,
    ni_counter: Permutation,
    pnc_counter: Permutation,
    local_counter: Permutation,
}

impl fmt::Debug for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("seed", &self.seed)
            .field("tail", &self.tail.len())
            .finish_non_exhaustive()
    }
}

/// The name tables of every heritage.
#[derive(Clone, Debug)]
struct Heritages {
    british: NameTables,
    irish: NameTables,
    muslim: NameTables,
    indian: NameTables,
    west_african: NameTables,
    european: NameTables,
}

impl Heritages {
    fn of(&self, heritage: Heritage) -> &NameTables {
        match heritage {
            Heritage::British => &self.british,
            Heritage::Irish => &self.irish,
            Heritage::Muslim => &self.muslim,
            Heritage::Indian => &self.indian,
            Heritage::WestAfrican => &self.west_african,
            Heritage::European => &self.european,
        }
    }
}

/// Hands out distinct numbers below `modulus` in an order that looks random: the counter goes
/// through a keyed bijection of the `bits`-bit numbers (multiply by an odd key, xor-shift, add a
/// key, a few rounds), repeated while the result is not below `modulus` ("cycle walking"), so the
/// first `modulus` numbers handed out are all different.
#[derive(Clone, Copy, Debug)]
struct Permutation {
    modulus: u64,
    bits: u32,
    keys: [u64; 4],
    next: u64,
}

impl Permutation {
    fn new(rng: &mut StdRng, modulus: u64) -> Self {
        let modulus = modulus.max(2);
        let bits = 64 - (modulus - 1).leading_zeros();
        let mut keys = [0u64; 4];
        for k in &mut keys {
            *k = rng.random::<u64>() | 1;
        }
        Self {
            modulus,
            bits,
            keys,
            next: 0,
        }
    }

    fn mix(&self, mut x: u64) -> u64 {
        let mask = u64::MAX >> (64 - self.bits);
        let shift = (self.bits / 2).max(1);
        for k in self.keys {
            x = x.wrapping_mul(k) & mask;
            x ^= x >> shift;
            x = x.wrapping_add(k >> 7) & mask;
        }
        x
    }

    fn take(&mut self) -> u64 {
        let mut x = self.next % self.modulus;
        self.next = self.next.wrapping_add(1);
        // Every step is a bijection of the `bits`-bit numbers, so the walk from a number below
        // `modulus` comes back below it; on average in fewer than two steps.
        loop {
            x = self.mix(x);
            if x < self.modulus {
                return x;
            }
        }
    }
}

fn role_index(role: SyntheticRole) -> usize {
    match role {
        SyntheticRole::PoliceOfficer => 0,
        SyntheticRole::SpecialConstable => 1,
        SyntheticRole::PoliceStaff => 2,
        SyntheticRole::ProbationOfficer => 3,
        SyntheticRole::PrisonOfficer => 4,
    }
}

fn scenarios_for(role: SyntheticRole) -> Table<&'static Scenario> {
    let bit = role_bit(role);
    Table::new(
        SCENARIOS
            .iter()
            .filter(move |s| s.roles & bit != 0)
            .map(|s| (s, s.weight)),
    )
}

/// National insurance prefixes of valid shape: neither letter D, F, I, Q, U or V, the second
/// not O, and not BG, GB, KN, NK, NT, TN or ZZ.
fn ni_prefixes() -> Vec<[u8; 2]> {
    let allowed = |c: u8| !matches!(c, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V');
    let mut out = Vec::new();
    for a in (b'A'..=b'Z').filter(|&c| allowed(c)) {
        for b in (b'A'..=b'Z').filter(|&c| allowed(c) && c != b'O') {
            if !matches!(
                &[a, b],
                b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
            ) {
                out.push([a, b]);
            }
        }
    }
    out
}

/// Collapses any run of three identical letters to two ("Hallley" to "Halley").
fn tidy(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last = ['\0', '\0'];
    for c in name.chars() {
        if last == [c, c] {
            continue;
        }
        out.push(c);
        let [_, previous] = last;
        last = [previous, c];
    }
    out
}

/// A few tens of thousands of rarer family names, built from place-name elements, Mc, Mac and
/// O' stems and Cornish elements, none of them a name of the common tables, shuffled by `rng`
/// so the seed decides which are commoner.
fn synthesise_tail(rng: &mut StdRng, common: &HashSet<&str>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut push = |name: String| {
        if !common.contains(name.as_str()) && seen.insert(name.clone()) {
            out.push(name);
        }
    };
    for p in TAIL_PREFIXES {
        for s in TAIL_SUFFIXES {
            if !p.eq_ignore_ascii_case(s) {
                push(tidy(&format!("{p}{s}")));
            }
        }
    }
    for stem in GAELIC_STEMS {
        push(format!("Mc{stem}"));
        push(format!("Mac{stem}"));
    }
    for stem in IRISH_STEMS {
        push(format!("O'{stem}"));
    }
    for p in CORNISH_PREFIXES {
        for s in CORNISH_SUFFIXES {
            push(format!("{p}{s}"));
        }
    }
    out.shuffle(rng);
    out.truncate(TAIL_SIZE);
    out
}

/// Days since 1970-01-01 of a complete date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(d: Date) -> i64 {
    let y = i64::from(d.year) - i64::from(d.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(d.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date::new(
        i32::try_from(year).unwrap_or(1970),
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

/// The same day `years` later (29 February becomes 28 February in a common year).
fn add_years(d: Date, years: i32) -> Date {
    let year = d.year + years;
    Date::new(year, d.month, d.day.min(days_in_month(year, d.month)))
}

/// The later of two dates.
fn later(a: Date, b: Date) -> Date {
    if days_from_civil(a) >= days_from_civil(b) {
        a
    } else {
        b
    }
}

/// "Theft of seized property" as an allegation: "Alleged theft of seized property".
fn alleged(reason: &str) -> String {
    let mut chars = reason.chars();
    match chars.next() {
        Some(first) => format!("Alleged {}{}", first.to_lowercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The feminine form of a Polish family name ("Kowalski" to "Kowalska").
fn feminine(surname: &str) -> String {
    for (m, f) in [("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")] {
        if let Some(stem) = surname.strip_suffix(m) {
            return format!("{stem}{f}");
        }
    }
    surname.to_owned()
}

/// The PNC check letter of a year and serial number.
fn pnc_check_letter(year: u64, serial: u64) -> char {
    const LETTERS: &[u8] = b"ZABCDEFGHJKLMNPQRTUVWXY";
    let n = year % 100 * 10_000_000 + serial % 10_000_000;
    let i = usize::try_from(n % 23).unwrap_or(0);
    LETTERS.get(i).map_or('Z', |&b| char::from(b))
}

impl Generator {
    /// A generator whose every draw follows from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let common: HashSet<&str> = [
            GENERAL_SURNAMES,
            IRISH_SURNAMES,
            MUSLIM_SURNAMES,
            INDIAN_SURNAMES,
            WEST_AFRICAN_SURNAMES,
            EUROPEAN_SURNAMES,
        ]
        .iter()
        .flat_map(|t| t.iter().map(|&(n, _)| n))
        .collect();
        let tail = synthesise_tail(&mut rng, &common);
        let ni_prefixes = ni_prefixes();
        let ni_space = u64::try_from(ni_prefixes.len()).unwrap_or(1) * 1_000_000;
        let ni_counter = Permutation::new(&mut rng, ni_space);
        let pnc_counter = Permutation::new(&mut rng, 10_000_000);
        let local_counter = Permutation::new(&mut rng, 9_000_000);
        let tables = |male, female, surnames| NameTables {
            male: Names::of(male),
            female: Names::of(female),
            surnames: Names::of(surnames),
        };
        Self {
            seed,
            rng,
            heritage: Table::of(HERITAGE),
            names: Heritages {
                british: tables(GENERAL_MALE, GENERAL_FEMALE, GENERAL_SURNAMES),
                irish: tables(IRISH_MALE, IRISH_FEMALE, IRISH_SURNAMES),
                muslim: tables(MUSLIM_MALE, MUSLIM_FEMALE, MUSLIM_SURNAMES),
                indian: tables(INDIAN_MALE, INDIAN_FEMALE, INDIAN_SURNAMES),
                west_african: tables(
                    WEST_AFRICAN_MALE,
                    WEST_AFRICAN_FEMALE,
                    WEST_AFRICAN_SURNAMES,
                ),
                european: tables(EUROPEAN_MALE, EUROPEAN_FEMALE, EUROPEAN_SURNAMES),
            },
            tail,
            forces: Names::of(FORCES),
            probation_regions: Names::of(PROBATION_REGIONS),
            prisons: Names::of(PRISONS),
            officer_ranks: Names::of(OFFICER_RANKS),
            special_ranks: Names::of(SPECIAL_RANKS),
            staff_titles: Names::of(STAFF_TITLES),
            probation_grades: Names::of(PROBATION_GRADES),
            prison_grades: Names::of(PRISON_GRADES),
            roles_barred: Table::of(ROLES_BARRED),
            roles_advisory: Table::of(ROLES_ADVISORY),
            roles_investigation: Table::of(ROLES_INVESTIGATION),
            scenarios: [
                scenarios_for(SyntheticRole::PoliceOfficer),
                scenarios_for(SyntheticRole::SpecialConstable),
                scenarios_for(SyntheticRole::PoliceStaff),
                scenarios_for(SyntheticRole::ProbationOfficer),
                scenarios_for(SyntheticRole::PrisonOfficer),
            ],
            ni_prefixes,
            ni_counter,
            pnc_counter,
            local_counter,
        }
    }

    /// A listed person with the given list (Barred/Advisory/Investigation/Clear).
    pub fn person(&mut self, list: SyntheticList) -> SyntheticPerson {
        self.person_of(list, None)
    }

    /// A listed person whose list is drawn: 60% barred, 20% advisory, 20% investigation.
    pub fn listed_person(&mut self) -> SyntheticPerson {
        let list = match self.rng.random_range(0..10) {
            0..6 => SyntheticList::Barred,
            6..8 => SyntheticList::Advisory,
            _ => SyntheticList::Investigation,
        };
        self.person(list)
    }

    /// A stranger: a fresh random identity (may share common names with listed people; that's
    /// realistic).
    pub fn stranger(&mut self) -> (PersonName, Date) {
        let sex = if self.rng.random_bool(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let heritage = self
            .heritage
            .draw(&mut self.rng)
            .unwrap_or(Heritage::British);
        let name = self.full_name(sex, heritage);
        (name, self.date_of_birth())
    }

    /// A near miss of `p`: the same name, and a date of birth plainly different: 3 to 12 years
    /// away, and neither its day nor its month is `p`'s day or month (so no transposition of
    /// `p`'s day and month either).
    pub fn near_miss(&mut self, p: &SyntheticPerson) -> (PersonName, Date) {
        let dob = p.date_of_birth;
        let mut years = self.rng.random_range(3..=12);
        if self.rng.random_bool(0.5) {
            years = -years;
        }
        let mut year = dob.year + years;
        if !(1940..=2008).contains(&year) {
            year = dob.year - years;
        }
        let avoid = [dob.day, dob.month];
        let month = loop {
            let m = self.rng.random_range(1..=12u8);
            if !avoid.contains(&m) {
                break m;
            }
        };
        let day = loop {
            let d = self.rng.random_range(1..=days_in_month(year, month));
            if !avoid.contains(&d) {
                break d;
            }
        };
        (p.name.clone(), Date::new(year, month, day))
    }

    fn person_of(&mut self, list: SyntheticList, sex: Option<Sex>) -> SyntheticPerson {
        let roles = match list {
            SyntheticList::Barred | SyntheticList::Clear => &self.roles_barred,
            SyntheticList::Advisory => &self.roles_advisory,
            SyntheticList::Investigation => &self.roles_investigation,
        };
        let role = roles
            .draw(&mut self.rng)
            .unwrap_or(SyntheticRole::PoliceOfficer);
        let male_share = match role {
            SyntheticRole::PoliceOfficer | SyntheticRole::SpecialConstable => 0.8,
            SyntheticRole::PoliceStaff => 0.45,
            SyntheticRole::ProbationOfficer => 0.35,
            SyntheticRole::PrisonOfficer => 0.7,
        };
        let sex = sex.unwrap_or_else(|| {
            if self.rng.random_bool(male_share) {
                Sex::Male
            } else {
                Sex::Female
            }
        });
        let heritage = self
            .heritage
            .draw(&mut self.rng)
            .unwrap_or(Heritage::British);
        let mut name = self.full_name(sex, heritage);
        let other_names = self.other_names(&mut name, sex, heritage);
        let date_of_birth = self.date_of_birth();

        let employer = match role {
            SyntheticRole::PoliceOfficer
            | SyntheticRole::SpecialConstable
            | SyntheticRole::PoliceStaff => self.forces.draw(&mut self.rng),
            SyntheticRole::ProbationOfficer => self.probation_regions.draw(&mut self.rng),
            SyntheticRole::PrisonOfficer => self.prisons.draw(&mut self.rng),
        };
        let hmpps = matches!(
            role,
            SyntheticRole::ProbationOfficer | SyntheticRole::PrisonOfficer
        );
        let organisation = if hmpps && list == SyntheticList::Investigation {
            HMPPS_CCU
        } else {
            employer
        };
        let rank = match role {
            SyntheticRole::PoliceOfficer => self.officer_ranks.draw(&mut self.rng),
            SyntheticRole::SpecialConstable => self.special_ranks.draw(&mut self.rng),
            SyntheticRole::PoliceStaff => self.staff_titles.draw(&mut self.rng),
            SyntheticRole::ProbationOfficer => self.probation_grades.draw(&mut self.rng),
            SyntheticRole::PrisonOfficer => self.prison_grades.draw(&mut self.rng),
        };

        let decision_date = self.decision_date(list, date_of_birth);
        let scenario = self.scenario(role, list);
        let (reason, standards, incompetence) = match scenario {
            Some(s) => (s.reason, s.standards, s.incompetence),
            None => ("Discreditable conduct", &[DISCREDITABLE][..], false),
        };
        let reason = if list == SyntheticList::Barred {
            reason.to_owned()
        } else {
            alleged(reason)
        };
        let published = list == SyntheticList::Barred
            && matches!(
                role,
                SyntheticRole::PoliceOfficer | SyntheticRole::SpecialConstable
            )
            && !incompetence;
        let unit = if organisation == HMPPS_CCU {
            "CCU"
        } else if hmpps {
            "HR"
        } else {
            "PSD"
        };
        let reference = format!(
            "{unit}/{}/{:05}",
            decision_date.year,
            self.rng.random_range(1..20_000u32)
        );
        let identifiers = self.identifiers(role, employer, date_of_birth, decision_date);

        SyntheticPerson {
            name,
            other_names,
            date_of_birth,
            identifiers,
            list,
            organisation: organisation.to_owned(),
            role,
            rank: rank.to_owned(),
            decision_date,
            standards_breached: standards.iter().map(|&s| s.to_owned()).collect(),
            reason,
            published,
            reference,
        }
    }

    fn given_name(&mut self, sex: Sex, heritage: Heritage) -> &'static str {
        // Some children of every heritage get names from the general British tables.
        let heritage = if heritage != Heritage::British && self.rng.random_bool(0.15) {
            Heritage::British
        } else {
            heritage
        };
        let tables = self.names.of(heritage);
        match sex {
            Sex::Male => tables.male.draw(&mut self.rng),
            Sex::Female => tables.female.draw(&mut self.rng),
        }
    }

    /// Given names: one, then a middle name for half of people (a second for a few of those).
    fn given_names(&mut self, sex: Sex, heritage: Heritage) -> String {
        let first = self.given_name(sex, heritage);
        let mut out = first.to_owned();
        if self.rng.random_bool(0.5) {
            let mut used = vec![first];
            let middles = if self.rng.random_bool(0.1) { 2 } else { 1 };
            for _ in 0..middles {
                let middle = self.given_name(sex, heritage);
                if !used.contains(&middle) {
                    out.push(' ');
                    out.push_str(middle);
                    used.push(middle);
                }
            }
        }
        out
    }

    fn family_name(&mut self, sex: Sex, heritage: Heritage) -> String {
        if heritage == Heritage::British {
            if self.rng.random_range(0..1000) < TAIL_PER_MILLE {
                return self.tail_name();
            }
            if self.rng.random_bool(0.01) {
                let a = self.names.british.surnames.draw(&mut self.rng);
                let b = self.names.british.surnames.draw(&mut self.rng);
                if a != b && !a.contains('-') && !b.contains('-') {
                    return format!("{a}-{b}");
                }
            }
        }
        let mut name = self.names.of(heritage).surnames.draw(&mut self.rng);
        for _ in 0..4 {
            if sex == Sex::Female || !FEMALE_ONLY_SURNAMES.contains(&name) {
                break;
            }
            name = self.names.of(heritage).surnames.draw(&mut self.rng);
        }
        if sex == Sex::Male && FEMALE_ONLY_SURNAMES.contains(&name) {
            name = if name == "Kaur" { "Singh" } else { "Khan" };
        }
        if sex == Sex::Female && heritage == Heritage::European {
            feminine(name)
        } else {
            name.to_owned()
        }
    }

    /// A long-tail name: earlier names of the shuffled tail are drawn more often (the index is
    /// the product of three uniform draws, scaled; integers only, so the same on every machine).
    fn tail_name(&mut self) -> String {
        let n = u64::try_from(self.tail.len()).unwrap_or(0);
        if n == 0 {
            return self.names.british.surnames.draw(&mut self.rng).to_owned();
        }
        let a = self.rng.random_range(0..n);
        let b = self.rng.random_range(0..n);
        let c = self.rng.random_range(0..n);
        let i = usize::try_from(a * b * c / (n * n)).unwrap_or(0);
        match self.tail.get(i) {
            Some(name) => name.clone(),
            None => self.names.british.surnames.draw(&mut self.rng).to_owned(),
        }
    }

    fn full_name(&mut self, sex: Sex, heritage: Heritage) -> PersonName {
        let given = self.given_names(sex, heritage);
        let family = self.family_name(sex, heritage);
        PersonName::new(given, family)
    }

    /// Previous names: a maiden name for about a quarter of women (a few of whom now carry a
    /// double-barrelled name), a deed-poll change for a few men, and an alias for about 5%.
    fn other_names(
        &mut self,
        name: &mut PersonName,
        sex: Sex,
        heritage: Heritage,
    ) -> Vec<PersonName> {
        let mut out = Vec::new();
        let changed = match sex {
            Sex::Female => self.rng.random_bool(0.25),
            Sex::Male => self.rng.random_bool(0.02),
        };
        if changed {
            let previous = self.family_name(sex, heritage);
            if previous != name.family_name {
                if sex == Sex::Female
                    && self.rng.random_bool(0.1)
                    && !previous.contains('-')
                    && !name.family_name.contains('-')
                {
                    name.family_name = format!("{previous}-{}", name.family_name);
                }
                out.push(PersonName::new(name.given_names.clone(), previous));
            }
        }
        if self.rng.random_bool(0.05) {
            let first = name.given_names.split(' ').next().unwrap_or_default();
            let nickname = NICKNAMES
                .iter()
                .find(|(formal, _)| *formal == first)
                .map(|&(_, short)| short);
            let alias = match nickname {
                Some(short) if self.rng.random_bool(0.7) => {
                    PersonName::new(short, name.family_name.clone())
                }
                _ => {
                    let family = self.family_name(sex, heritage);
                    PersonName::new(first, family)
                }
            };
            if alias != *name {
                out.push(alias);
            }
        }
        out
    }

    /// Uniform over the days of 1955 to 2004.
    fn date_of_birth(&mut self) -> Date {
        let from = days_from_civil(EARLIEST_BIRTH);
        let to = days_from_civil(LATEST_BIRTH);
        civil_from_days(self.rng.random_range(from..=to))
    }

    /// After the 19th birthday and by [`LATEST_DECISION`]; dismissals lean towards recent years
    /// (the barred list grew from about 70 officers a year to over 700), open investigations
    /// are from 2023 on.
    fn decision_date(&mut self, list: SyntheticList, date_of_birth: Date) -> Date {
        let floor = match list {
            SyntheticList::Investigation => EARLIEST_OPEN_INVESTIGATION,
            SyntheticList::Barred | SyntheticList::Advisory | SyntheticList::Clear => {
                EARLIEST_DECISION
            }
        };
        let from = days_from_civil(later(floor, add_years(date_of_birth, 19)));
        let to = days_from_civil(LATEST_DECISION).max(from);
        let mut day = self.rng.random_range(from..=to);
        if list == SyntheticList::Barred {
            day = day.max(self.rng.random_range(from..=to));
        }
        civil_from_days(day)
    }

    fn scenario(&mut self, role: SyntheticRole, list: SyntheticList) -> Option<&'static Scenario> {
        let table = self.scenarios.get(role_index(role))?;
        for _ in 0..8 {
            let s = table.draw(&mut self.rng)?;
            // Incompetence is a finding at a hearing, never an allegation.
            if !s.incompetence || list == SyntheticList::Barred {
                return Some(s);
            }
        }
        None
    }

    fn identifiers(
        &mut self,
        role: SyntheticRole,
        employer: &str,
        date_of_birth: Date,
        decision_date: Date,
    ) -> Vec<Identifier> {
        let mut out = Vec::new();
        if self.rng.random_bool(0.7) {
            out.push(self.national_insurance_number());
        }
        if self.rng.random_bool(0.4) {
            // The year the record was created: from about age 14, not before 1980.
            let from = (date_of_birth.year + 14).max(1980);
            let year = self
                .rng
                .random_range(from.min(decision_date.year)..=decision_date.year);
            let serial = self.pnc_counter.take();
            let year = u64::try_from(year).unwrap_or(2000);
            let check = pnc_check_letter(year, serial);
            out.push(Identifier {
                scheme: IdentifierScheme::PncId,
                value: format!("{:02}/{serial:07}{check}", year % 100),
                issuer: String::new(),
            });
        }
        let number = self.local_counter.take() + 1_000_000;
        let (scheme, value) = match role {
            SyntheticRole::PoliceOfficer | SyntheticRole::SpecialConstable => {
                (IdentifierScheme::WarrantNumber, number.to_string())
            }
            SyntheticRole::PoliceStaff => (IdentifierScheme::StaffNumber, format!("S{number}")),
            SyntheticRole::ProbationOfficer | SyntheticRole::PrisonOfficer => {
                (IdentifierScheme::StaffNumber, number.to_string())
            }
        };
        out.push(Identifier {
            scheme,
            value,
            issuer: employer.to_owned(),
        });
        out
    }

    /// A national insurance number of valid shape, never handed out twice by this generator.
    fn national_insurance_number(&mut self) -> Identifier {
        let n = self.ni_counter.take();
        let prefix = usize::try_from(n / 1_000_000)
            .ok()
            .and_then(|i| self.ni_prefixes.get(i))
            .copied()
            .unwrap_or(*b"AB");
        let suffix = self.rng.random_range(b'A'..=b'D');
        let [a, b] = prefix;
        let value = format!(
            "{}{}{:06}{}",
            char::from(a),
            char::from(b),
            n % 1_000_000,
            char::from(suffix)
        );
        Identifier {
            scheme: IdentifierScheme::NationalInsuranceNumber,
            value,
            issuer: String::new(),
        }
    }

    /// Gives `p` a previous family name if it has none.
    fn add_previous_name(&mut self, p: &mut SyntheticPerson) {
        if p.other_names.is_empty() {
            let previous = self.family_name(Sex::Female, Heritage::British);
            if previous != p.name.family_name {
                p.other_names
                    .push(PersonName::new(p.name.given_names.clone(), previous));
            }
        }
    }
}

/// `n` people for the demo: every list kind represented (at least 5 of each, including Clear,
/// once `n >= 20`), with some previous names, some NI numbers, and a few accented, Mc, O' and
/// hyphenated names. Deterministic.
pub fn demo_people(n: usize) -> Vec<SyntheticPerson> {
    const LISTS: [SyntheticList; 4] = [
        SyntheticList::Barred,
        SyntheticList::Advisory,
        SyntheticList::Investigation,
        SyntheticList::Clear,
    ];
    let mut generator = Generator::new(DEMO_SEED);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let list = LISTS
            .get(i % LISTS.len())
            .copied()
            .unwrap_or(SyntheticList::Barred);
        let sex = match i % 3 {
            0 => Some(Sex::Male),
            1 => Some(Sex::Female),
            _ => None,
        };
        let mut p = generator.person_of(list, sex);
        if i % 5 == 2 {
            // Show off the forms a name takes: apostrophes, Mc, accents, spaces, hyphens.
            if let Some(family) = DEMO_FAMILY_NAMES.get(i / 5 % DEMO_FAMILY_NAMES.len()) {
                p.name.family_name = (*family).to_owned();
            }
            let accented = match sex {
                Some(Sex::Female) => DEMO_FEMALE_NAMES.get(i / 5 % DEMO_FEMALE_NAMES.len()),
                Some(Sex::Male) => DEMO_MALE_NAMES.get(i / 5 % DEMO_MALE_NAMES.len()),
                None => None,
            };
            if let Some(given) = accented {
                let old = p.name.given_names.clone();
                p.name.given_names = match old.split_once(' ') {
                    Some((_, rest)) => format!("{given} {rest}"),
                    None => (*given).to_owned(),
                };
                for o in &mut p.other_names {
                    if o.given_names == old {
                        o.given_names.clone_from(&p.name.given_names);
                    }
                }
            }
            p.other_names
                .retain(|o| o.family_name != p.name.family_name);
        }
        if i % 6 == 1 {
            generator.add_previous_name(&mut p);
        }
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::time::Instant;

    use super::*;
    use vetting::core::identity::fold_identifier;

    fn is_ni_shape(v: &str) -> bool {
        let b = v.as_bytes();
        if b.len() != 9 {
            return false;
        }
        let bad = |c: u8| matches!(c, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V');
        let (p1, p2) = (b[0], b[1]);
        p1.is_ascii_uppercase()
            && p2.is_ascii_uppercase()
            && !bad(p1)
            && !bad(p2)
            && p2 != b'O'
            && !matches!(
                &b[..2],
                b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
            )
            && b[2..8].iter().all(u8::is_ascii_digit)
            && (b'A'..=b'D').contains(&b[8])
    }

    fn people(seed: u64, n: usize) -> Vec<SyntheticPerson> {
        let mut g = Generator::new(seed);
        (0..n).map(|_| g.listed_person()).collect()
    }

    fn summary(p: &SyntheticPerson) -> String {
        format!("{p:?}")
    }

    #[test]
    fn same_seed_same_people_other_seed_other_people() {
        let a: Vec<String> = people(7, 2_000).iter().map(summary).collect();
        let b: Vec<String> = people(7, 2_000).iter().map(summary).collect();
        let c: Vec<String> = people(8, 2_000).iter().map(summary).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut g = Generator::new(7);
        let mut h = Generator::new(7);
        for _ in 0..100 {
            assert_eq!(g.stranger(), h.stranger());
        }
        let demo: Vec<String> = demo_people(40).iter().map(summary).collect();
        assert_eq!(
            demo,
            demo_people(40).iter().map(summary).collect::<Vec<_>>()
        );
    }

    #[test]
    fn tables_are_usable() {
        for t in [
            GENERAL_SURNAMES,
            GENERAL_MALE,
            GENERAL_FEMALE,
            IRISH_SURNAMES,
            IRISH_MALE,
            IRISH_FEMALE,
            MUSLIM_SURNAMES,
            MUSLIM_MALE,
            MUSLIM_FEMALE,
            INDIAN_SURNAMES,
            INDIAN_MALE,
            INDIAN_FEMALE,
            WEST_AFRICAN_SURNAMES,
            WEST_AFRICAN_MALE,
            WEST_AFRICAN_FEMALE,
            EUROPEAN_SURNAMES,
            EUROPEAN_MALE,
            EUROPEAN_FEMALE,
            FORCES,
            PROBATION_REGIONS,
            PRISONS,
        ] {
            assert!(!t.is_empty());
            assert!(t.iter().all(|&(n, w)| w > 0 && !n.trim().is_empty()));
            let distinct: HashSet<&str> = t.iter().map(|&(n, _)| n).collect();
            assert_eq!(
                distinct.len(),
                t.len(),
                "duplicate in table starting {:?}",
                t[0]
            );
        }
        assert_eq!(
            FORCES.len(),
            44,
            "43 territorial forces and British Transport Police"
        );
        assert!(GENERAL_SURNAMES.len() >= 250);
        assert!(GENERAL_MALE.len() >= 150 && GENERAL_FEMALE.len() >= 150);
        assert_eq!(ni_prefixes().len(), 373);
        for role in [
            SyntheticRole::PoliceOfficer,
            SyntheticRole::SpecialConstable,
            SyntheticRole::PoliceStaff,
            SyntheticRole::ProbationOfficer,
            SyntheticRole::PrisonOfficer,
        ] {
            assert!(scenarios_for(role).cumulative.len() >= 10, "{role:?}");
        }
        let g = Generator::new(1);
        assert!(g.tail.len() >= 20_000, "tail of {}", g.tail.len());
    }

    #[test]
    fn calendar_round_trips() {
        for d in [
            Date::new(1970, 1, 1),
            Date::new(2000, 2, 29),
            Date::new(1955, 12, 31),
        ] {
            assert_eq!(civil_from_days(days_from_civil(d)), d);
        }
        assert_eq!(days_from_civil(Date::new(1970, 1, 2)), 1);
        let from = days_from_civil(Date::new(1900, 1, 1));
        let mut prev = civil_from_days(from - 1);
        for day in from..days_from_civil(Date::new(2100, 1, 1)) {
            let d = civil_from_days(day);
            assert!(d.validate().is_ok() && d.is_complete(), "{d}");
            assert!(d > prev);
            assert_eq!(days_from_civil(d), day);
            prev = d;
        }
        assert_eq!(
            add_years(Date::new(2000, 2, 29), 19),
            Date::new(2019, 2, 28)
        );
    }

    #[test]
    fn every_person_is_valid_and_plausible() {
        let mut g = Generator::new(42);
        let lists = [
            SyntheticList::Barred,
            SyntheticList::Advisory,
            SyntheticList::Investigation,
            SyntheticList::Clear,
        ];
        for i in 0..20_000 {
            let list = lists[i % 4];
            let p = g.person(list);
            assert_eq!(p.list, list);
            let d = p.date_of_birth;
            assert!(d.validate().is_ok() && d.is_complete(), "{d}");
            assert!((1955..=2004).contains(&d.year));
            let dd = p.decision_date;
            assert!(dd.validate().is_ok() && dd.is_complete(), "{dd}");
            assert!(dd >= EARLIEST_DECISION && dd <= LATEST_DECISION, "{dd}");
            assert!(dd > add_years(d, 18), "decision {dd} for born {d}");
            assert!(!p.name.family_name.trim().is_empty() && !p.name.given_names.is_empty());
            assert!(!p.standards_breached.is_empty());
            assert!(!p.reason.is_empty() && !p.rank.is_empty() && !p.organisation.is_empty());
            assert!(
                p.reference.starts_with("PSD/")
                    || p.reference.starts_with("HR/")
                    || p.reference.starts_with("CCU/")
            );
            if p.published {
                assert_eq!(p.list, SyntheticList::Barred);
                assert!(matches!(
                    p.role,
                    SyntheticRole::PoliceOfficer | SyntheticRole::SpecialConstable
                ));
            }
            if list == SyntheticList::Barred {
                assert!(!p.reason.starts_with("Alleged"));
            } else {
                assert!(p.reason.starts_with("Alleged "), "{}", p.reason);
            }
            if list == SyntheticList::Advisory {
                assert!(matches!(
                    p.role,
                    SyntheticRole::PoliceOfficer
                        | SyntheticRole::SpecialConstable
                        | SyntheticRole::PoliceStaff
                ));
            }
            let local: Vec<&Identifier> = p
                .identifiers
                .iter()
                .filter(|i| !i.scheme.is_national())
                .collect();
            assert_eq!(local.len(), 1);
            let expected = match p.role {
                SyntheticRole::PoliceOfficer | SyntheticRole::SpecialConstable => {
                    IdentifierScheme::WarrantNumber
                }
                _ => IdentifierScheme::StaffNumber,
            };
            assert_eq!(local[0].scheme, expected);
            assert!(!local[0].issuer.is_empty());
            for n in std::iter::once(&p.name).chain(&p.other_names) {
                assert!(n.family_name.chars().any(char::is_alphabetic));
                assert!(!n.family_name.starts_with(' ') && !n.family_name.ends_with(' '));
            }
            for o in &p.other_names {
                assert_ne!(*o, p.name);
            }
        }
    }

    #[test]
    fn identifiers_have_valid_shapes_and_national_ones_are_unique() {
        let mut ni = HashSet::new();
        let mut ni_no_suffix = HashSet::new();
        let mut pnc = HashSet::new();
        let mut local = HashSet::new();
        let all = people(3, 100_000);
        for p in &all {
            for id in &p.identifiers {
                let v = fold_identifier(&id.value);
                match id.scheme {
                    IdentifierScheme::NationalInsuranceNumber => {
                        assert!(is_ni_shape(&v), "{v}");
                        assert!(ni.insert(v.clone()), "duplicate {v}");
                        assert!(ni_no_suffix.insert(v[..8].to_owned()), "duplicate {v}");
                    }
                    IdentifierScheme::PncId => {
                        assert!(
                            id.value.len() == 11 && id.value.as_bytes()[2] == b'/',
                            "{}",
                            id.value
                        );
                        let (digits, letter) = v.split_at(9);
                        assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{v}");
                        let year: u64 = digits[..2].parse().unwrap();
                        let serial: u64 = digits[2..].parse().unwrap();
                        assert_eq!(letter.chars().next(), Some(pnc_check_letter(year, serial)));
                        assert!(pnc.insert(v), "duplicate PNC ID");
                    }
                    IdentifierScheme::WarrantNumber | IdentifierScheme::StaffNumber => {
                        assert!((5..=20).contains(&v.len()), "{v}");
                        assert!(
                            local.insert((fold_identifier(&id.issuer), v)),
                            "duplicate local number"
                        );
                    }
                    other => panic!("unexpected scheme {other:?}"),
                }
            }
        }
        let n = all.len() as f64;
        let ni_share = ni.len() as f64 / n;
        let pnc_share = pnc.len() as f64 / n;
        assert!((0.68..0.72).contains(&ni_share), "{ni_share}");
        assert!((0.38..0.42).contains(&pnc_share), "{pnc_share}");
    }

    #[test]
    fn name_frequencies_are_british() {
        let all = people(11, 100_000);
        let n = all.len() as f64;
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for p in &all {
            *counts.entry(p.name.family_name.as_str()).or_default() += 1;
        }
        let smith = counts.get("Smith").copied().unwrap_or(0) as f64 / n;
        assert!((0.008..0.02).contains(&smith), "Smith {smith}");
        let jones = counts.get("Jones").copied().unwrap_or(0) as f64 / n;
        assert!(jones < smith && jones > 0.005, "Jones {jones}");
        assert!(
            counts.len() > 5_000,
            "{} distinct family names",
            counts.len()
        );
        assert!(
            counts.len() < 60_000,
            "{} distinct family names",
            counts.len()
        );
        for name in [
            "Patel", "Khan", "O'Brien", "McDonald", "Nowak", "Murphy", "Singh",
        ] {
            assert!(counts.contains_key(name), "no {name}");
        }
        let tail = Generator::new(11).tail.into_iter().collect::<HashSet<_>>();
        let from_tail = all
            .iter()
            .filter(|p| tail.contains(&p.name.family_name))
            .count() as f64
            / n;
        assert!((0.33..0.45).contains(&from_tail), "tail share {from_tail}");
        let with_middle = all
            .iter()
            .filter(|p| p.name.given_names.contains(' '))
            .count() as f64
            / n;
        assert!(
            (0.42..0.55).contains(&with_middle),
            "middle names {with_middle}"
        );
        let male_kaur = all
            .iter()
            .filter(|p| p.name.family_name == "Kaur" && p.name.given_names.starts_with("Mohammed"))
            .count();
        assert_eq!(male_kaur, 0);
        let with_previous = all.iter().filter(|p| !p.other_names.is_empty()).count() as f64 / n;
        assert!(
            (0.05..0.2).contains(&with_previous),
            "other names {with_previous}"
        );
        let lists: HashMap<String, usize> = all.iter().fold(HashMap::new(), |mut m, p| {
            *m.entry(format!("{:?}", p.list)).or_default() += 1;
            m
        });
        let barred = lists.get("Barred").copied().unwrap_or(0) as f64 / n;
        assert!((0.58..0.62).contains(&barred), "barred {barred}");
        assert!(!lists.contains_key("Clear"));
    }

    #[test]
    fn demo_covers_every_list_and_the_hard_names() {
        let demo = demo_people(40);
        assert_eq!(demo.len(), 40);
        for list in [
            SyntheticList::Barred,
            SyntheticList::Advisory,
            SyntheticList::Investigation,
            SyntheticList::Clear,
        ] {
            assert!(
                demo.iter().filter(|p| p.list == list).count() >= 5,
                "{list:?}"
            );
        }
        assert!(demo.iter().filter(|p| !p.other_names.is_empty()).count() >= 5);
        let with_ni = demo
            .iter()
            .filter(|p| {
                p.identifiers
                    .iter()
                    .any(|i| i.scheme == IdentifierScheme::NationalInsuranceNumber)
            })
            .count();
        assert!(with_ni >= 5);
        let family = |p: &SyntheticPerson| p.name.family_name.clone();
        assert!(demo.iter().map(family).any(|f| f.contains('\'')));
        assert!(
            demo.iter()
                .map(family)
                .any(|f| f.starts_with("Mc") || f.starts_with("Mac"))
        );
        assert!(demo.iter().map(family).any(|f| f.contains('-')));
        assert!(
            demo.iter()
                .any(|p| !p.name.given_names.is_ascii() || !p.name.family_name.is_ascii())
        );
        assert!(demo.iter().any(|p| p.published));
        for p in &demo {
            assert!(p.date_of_birth.validate().is_ok());
            for o in &p.other_names {
                assert_ne!(*o, p.name);
            }
        }
        assert!(
            demo_people(20)
                .iter()
                .filter(|p| p.list == SyntheticList::Clear)
                .count()
                >= 5
        );
    }

    #[test]
    fn near_misses_differ_plainly() {
        let mut g = Generator::new(5);
        for _ in 0..20_000 {
            let p = g.listed_person();
            let (name, d) = g.near_miss(&p);
            let o = p.date_of_birth;
            assert_eq!(name, p.name);
            assert!(d.validate().is_ok() && d.is_complete(), "{d}");
            assert!((d.year - o.year).abs() >= 3, "{d} vs {o}");
            assert_ne!(d.day, o.day);
            assert_ne!(d.month, o.month);
            assert!(
                !(d.day == o.month && d.month == o.day),
                "{d} transposes {o}"
            );
        }
    }

    #[test]
    fn strangers_are_fresh_identities() {
        let mut g = Generator::new(9);
        let mut distinct = HashSet::new();
        for _ in 0..10_000 {
            let (name, d) = g.stranger();
            assert!(d.validate().is_ok() && d.is_complete());
            assert!(!name.family_name.is_empty() && !name.given_names.is_empty());
            distinct.insert((name, d));
        }
        assert!(distinct.len() > 9_990);
    }

    /// `cargo test --release -- --ignored --nocapture generate_a_million`
    #[test]
    #[ignore = "timing; run in release"]
    fn generate_a_million() {
        let started = Instant::now();
        let mut g = Generator::new(1);
        let built = started.elapsed();
        let mut names = HashSet::new();
        let mut smith = 0usize;
        for _ in 0..1_000_000 {
            let p = g.listed_person();
            if p.name.family_name == "Smith" {
                smith += 1;
            }
            names.insert(p.name.family_name);
        }
        let elapsed = started.elapsed();
        println!(
            "1,000,000 listed people in {elapsed:.2?} (generator built in {built:.2?}); {} distinct family names; Smith {:.2}%",
            names.len(),
            smith as f64 / 10_000.0
        );
    }
}
