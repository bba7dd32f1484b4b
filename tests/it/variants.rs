//! Deterministic variation test: the public registry (plus people with names the public set lacks)
//! checked under many kinds of variation, exactly as the store answers a check (probe the query
//! keys, compare every candidate, derive the outcome), with the bars of issue 3 asserted per kind.
//!
//! Run with `cargo test --test it variants -- --nocapture` to see the per-kind table.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Deserialize;

use vetting::matching::{
    Date, Identifier, IdentifierScheme, Identity, MatchConfig, PersonName, Prepared, Strength,
    compare, index_keys, query_keys,
};

const REGISTRY: &str = include_str!("../data/identity-public/registry.jsonl");

/// Queries generated per kind.
const PER_KIND: usize = 200;

#[derive(Deserialize)]
struct RName {
    given_names: String,
    family_name: String,
}

#[derive(Deserialize)]
struct Row {
    given_names: String,
    family_name: String,
    dob: String,
    previous_names: Vec<RName>,
    ni: Option<String>,
    list: String,
}

#[derive(Clone, Debug)]
struct Person {
    given: String,
    family: String,
    dob: Date,
    prev: Vec<(String, String)>,
    ni: Option<String>,
    barred: bool,
}

impl Person {
    fn identity(&self) -> Identity {
        Identity {
            names: std::iter::once(PersonName::new(&self.given, &self.family))
                .chain(self.prev.iter().map(|(g, f)| PersonName::new(g, f)))
                .collect(),
            date_of_birth: Some(self.dob),
            identifiers: self
                .ni
                .iter()
                .map(|v| Identifier {
                    scheme: IdentifierScheme::NationalInsuranceNumber,
                    value: v.clone(),
                    issuer: String::new(),
                })
                .collect(),
        }
    }
    fn first_given(&self) -> String {
        self.given
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string()
    }
}

#[derive(Clone, Debug)]
struct Query {
    given: String,
    family: String,
    dob: Option<Date>,
    prev: Vec<(String, String)>,
    target: Option<usize>,
}

impl Query {
    fn of(p: &Person, target: usize) -> Query {
        Query {
            given: p.given.clone(),
            family: p.family.clone(),
            dob: Some(p.dob),
            prev: vec![],
            target: Some(target),
        }
    }
    fn prepared(&self) -> Prepared {
        Prepared::new(&Identity {
            names: std::iter::once(PersonName::new(&self.given, &self.family))
                .chain(self.prev.iter().map(|(g, f)| PersonName::new(g, f)))
                .collect(),
            date_of_birth: self.dob,
            identifiers: vec![],
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Strong,
    Flag,
    Clear,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Barred,
    UnderInvestigation,
    Refer,
    Clear,
}

/// splitmix64: small, fixed, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
    fn date(&mut self) -> Date {
        Date::new(
            1955 + self.below(49) as i32,
            1 + self.below(12) as u8,
            1 + self.below(28) as u8,
        )
    }
}

fn date(s: &str) -> Date {
    let mut p = s.split('-').map(|x| x.parse::<i32>().unwrap());
    let (y, m, d) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
    Date::new(y, m as u8, d as u8)
}

const BASE_FAMILIES: &[&str] = &[
    "Payne",
    "Ryan",
    "Woods",
    "Hargreaves",
    "Evans",
    "Davies",
    "Holmes",
    "Lloyd",
    "Burns",
    "Dawson",
    "Thomas",
    "Murphy",
    "Haynes",
    "Pearce",
    "King",
    "Doyle",
    "Taylor",
    "Scott",
    "Wilson",
    "Bray",
    "Miller",
    "Jarvis",
    "Adams",
    "Matthews",
    "Mason",
    "Bradshaw",
    "Barnes",
    "Stephenson",
    "Jackson",
    "Morris",
    "Davey",
    "Read",
    "Pearson",
    "Griffiths",
    "Jones",
    "Hobbs",
    "Elliott",
    "Morgan",
    "Foster",
    "Palmer",
    "Campbell",
    "Forster",
    "Hammond",
    "Fox",
    "Barry",
    "Robinson",
    "Short",
    "Cook",
    "Peters",
    "Ellis",
    "Townsend",
    "Carey",
    "Roberts",
    "Wood",
    "Harris",
    "Webb",
    "Williams",
    "Smith",
    "Brown",
    "Hughes",
    "Clarke",
    "Khan",
    "Patel",
    "Wright",
    "Green",
    "Hall",
];

const MC_FAMILIES: &[&str] = &[
    "McDonald",
    "MacDonald",
    "McKenzie",
    "MacKenzie",
    "McLaughlin",
    "MacLeod",
    "McIntyre",
    "MacGregor",
    "McAllister",
    "McGowan",
    "McKay",
    "McPherson",
    "MacLean",
    "McCarthy",
    "McBride",
    "McGuinness",
    "MacMillan",
    "McNamara",
    "MacIntosh",
    "McCormack",
];

/// Irish, Scottish Gaelic and Welsh family names and a standard anglicised form of each
/// (MacLysaght, Black, Morgan and Morgan), written for this test.
const GAELIC_FAMILIES: &[(&str, &str)] = &[
    ("Ó Súilleabháin", "O'Sullivan"),
    ("Ó Briain", "O'Brien"),
    ("Ó Néill", "O'Neill"),
    ("Mac Cárthaigh", "McCarthy"),
    ("Ó Ceallaigh", "Kelly"),
    ("Ó Murchú", "Murphy"),
    ("Mac Mathúna", "McMahon"),
    ("Ó Dónaill", "O'Donnell"),
    ("Mac Suibhne", "Sweeney"),
    ("Ó Conchobhair", "O'Connor"),
    ("Breathnach", "Walsh"),
    ("Ó Riain", "Ryan"),
    ("Ó Braonáin", "Brennan"),
    ("Mac Lochlainn", "McLoughlin"),
    ("Ó hUiginn", "Higgins"),
    ("Ó Mathúna", "Mahony"),
    ("Caimbeul", "Campbell"),
    ("MacDhòmhnaill", "MacDonald"),
    ("ap Rhys", "Price"),
    ("ab Owain", "Bowen"),
    ("ap Hywel", "Powell"),
    ("ap Richard", "Pritchard"),
    ("ap Huw", "Pugh"),
    ("ab Ifan", "Bevan"),
];

/// Two English family names that both come from one Welsh patronymic: two names, not one.
const ANGLICISED_SIBLINGS: &[(&str, &str)] = &[
    ("Price", "Rees"),
    ("Bowen", "Owens"),
    ("Pritchard", "Richards"),
    ("Powell", "Howells"),
    ("Bevan", "Evans"),
];

/// Greek names in Greek script and as a Greek passport writes them (ELOT 743).
const GREEK_NAMES: &[(&str, &str)] = &[
    ("Δημήτριος", "Dimitrios"),
    ("Γεώργιος", "Georgios"),
    ("Ιωάννης", "Ioannis"),
    ("Κωνσταντίνος", "Konstantinos"),
    ("Νικόλαος", "Nikolaos"),
    ("Παναγιώτης", "Panagiotis"),
    ("Ελένη", "Eleni"),
    ("Αικατερίνη", "Aikaterini"),
    ("Σοφία", "Sofia"),
    ("Ευάγγελος", "Evangelos"),
];
const GREEK_FAMILIES: &[(&str, &str)] = &[
    ("Παπαδόπουλος", "Papadopoulos"),
    ("Ευαγγέλου", "Evangelou"),
    ("Γεωργίου", "Georgiou"),
    ("Νικολάου", "Nikolaou"),
    ("Οικονόμου", "Oikonomou"),
    ("Αντωνίου", "Antoniou"),
    ("Παπαδάκης", "Papadakis"),
    ("Χριστοδούλου", "Christodoulou"),
    ("Ιωάννου", "Ioannou"),
    ("Μπακογιάννη", "Bakogianni"),
];

/// Ukrainian and Russian names in Cyrillic and as their passports write them (Ukrainian
/// national system of 2010; ICAO 9303).
const CYRILLIC_NAMES: &[(&str, &str)] = &[
    ("Олександр", "Oleksandr"),
    ("Дмитро", "Dmytro"),
    ("Андрій", "Andrii"),
    ("Наталія", "Nataliia"),
    ("Ольга", "Olha"),
    ("Юрій", "Yurii"),
    ("Сергей", "Sergei"),
    ("Юрий", "Iurii"),
    ("Татьяна", "Tatiana"),
    ("Иван", "Ivan"),
];
const CYRILLIC_FAMILIES: &[(&str, &str)] = &[
    ("Шевченко", "Shevchenko"),
    ("Бондаренко", "Bondarenko"),
    ("Коваленко", "Kovalenko"),
    ("Ткаченко", "Tkachenko"),
    ("Смирнов", "Smirnov"),
    ("Кузнецов", "Kuznetsov"),
    ("Попов", "Popov"),
    ("Соколов", "Sokolov"),
    ("Волков", "Volkov"),
    ("Мельник", "Melnyk"),
];

/// Arabic and South Asian names in Britain: one spelling and another of the same name.
const ROMANISED_GIVEN: &[(&str, &str)] = &[
    ("Mohammed", "Muhammad"),
    ("Yusuf", "Yousaf"),
    ("Zainab", "Zeinab"),
    ("Fatima", "Fatimah"),
    ("Khadija", "Khadijah"),
    ("Aisha", "Ayesha"),
    ("Osman", "Usman"),
    ("Mustafa", "Mostafa"),
    ("Abdulrahman", "Abdur Rahman"),
];
const ROMANISED_FAMILY: &[(&str, &str)] = &[
    ("Hussain", "Hussein"),
    ("Chaudhry", "Chowdhury"),
    ("Rahman", "Rehman"),
    ("Siddiqui", "Siddiqi"),
    ("Qureshi", "Kureshi"),
];

/// The pair's other side: `a` for `b`, `b` for `a`.
fn other_of<'a>(pairs: &'a [(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    pairs.iter().find_map(|(a, b)| {
        if *a == name {
            Some(*b)
        } else if *b == name {
            Some(*a)
        } else {
            None
        }
    })
}

/// An Irish family name with Ó as a woman writes it: Ní, the name's first consonant lenited (an
/// h after it), and the h Ó puts before a vowel dropped (Ó hUiginn: Ní Uiginn).
fn irish_female(gaelic: &str) -> Option<String> {
    let stem = gaelic.strip_prefix("Ó ")?;
    let stem = stem.strip_prefix('h').unwrap_or(stem);
    let mut chars = stem.chars();
    let first = chars.next()?;
    let rest: String = chars.collect();
    let lenites = "BCDFGMPST".contains(first) && !rest.starts_with('h');
    Some(if lenites {
        format!("Ní {first}h{rest}")
    } else {
        format!("Ní {first}{rest}")
    })
}

const O_FAMILIES: &[&str] = &[
    "O'Neill",
    "O'Brien",
    "O'Sullivan",
    "O'Connor",
    "O'Reilly",
    "O'Connell",
    "O'Shea",
    "O'Hara",
    "O'Leary",
    "O'Dowd",
    "O'Keefe",
    "O'Mahony",
    "O'Donnell",
    "O'Driscoll",
    "O'Callaghan",
];

/// (given, family) with letters that have more than one ASCII spelling.
const TRANSLIT_GIVEN: &[&str] = &[
    "Jürgen",
    "Björn",
    "Søren",
    "Jörg",
    "Günter",
    "Łukasz",
    "Małgorzata",
    "Paweł",
    "Michał",
    "Bartłomiej",
    "Zoë",
    "Åsa",
    "Käthe",
    "Mehmet",
    "Gülşen",
    "Renée",
    "Siân",
    "Jürgen Klaus",
    "Stanisław",
    "Jörn",
];

const TRANSLIT_FAMILY: &[&str] = &[
    "Müller",
    "Schröder",
    "Jäger",
    "Köhler",
    "Öztürk",
    "Güneş",
    "Ødegård",
    "Sørensen",
    "Strauß",
    "Weiß",
    "Groß",
    "Wiśniewski",
    "Łukasiewicz",
    "Wójcik",
    "Krüger",
    "Schäfer",
    "Böhm",
    "Jørgensen",
    "Fußmann",
    "Dürr",
    "Größler",
    "Håkansson",
    "Løvland",
    "Pająk",
    "Michałowski",
];

const DIVERSE_GIVEN: &[&str] = &[
    // Welsh
    "Rhiannon",
    "Dafydd",
    "Gwenllian",
    "Iolo",
    "Llinos",
    "Siôn",
    "Gethin",
    "Cerys",
    "Eluned",
    "Ffion",
    "Ieuan",
    "Aled",
    "Angharad",
    "Gwyneth",
    "Emyr",
    "Bethan", // Irish
    "Siobhán",
    "Pádraig",
    "Niamh",
    "Aoife",
    "Caoimhe",
    "Oisín",
    "Ciarán",
    "Saoirse",
    "Eoghan",
    "Tadhg",
    "Gráinne",
    "Dearbhla",
    "Sinéad",
    "Róisín", // South Asian
    "Gurpreet",
    "Harjinder",
    "Manpreet",
    "Rajesh",
    "Priya",
    "Sunita",
    "Anjali",
    "Imran",
    "Asif",
    "Nusrat",
    "Farhana",
    "Tahir",
    "Shabana",
    "Mohammed Iqbal",
    "Sukhwinder",
    "Parminder",
    "Zainab",
    "Ayesha", // West African
    "Oluwaseun",
    "Chukwuemeka",
    "Ngozi",
    "Chidinma",
    "Oluwadamilare",
    "Abimbola",
    "Kwame",
    "Kofi",
    "Adwoa",
    "Folasade",
    "Temitope",
    "Olumide",
    "Babatunde",
    "Funmilayo",
    "Chinonso",
    "Oluwatobi", // Polish
    "Łukasz",
    "Krzysztof",
    "Małgorzata",
    "Agnieszka",
    "Grzegorz",
    "Wojciech",
    "Katarzyna",
    "Paweł",
    "Piotr",
    "Tomasz",
    "Zofia",
    "Magdalena",
];

const DIVERSE_FAMILY: &[&str] = &[
    // Welsh
    "Llewellyn",
    "Pritchard",
    "Bowen",
    "Gruffydd",
    "Vaughan",
    "Rhys",
    "Powell",
    "ap Gruffudd",
    "Prydderch",
    "Llwyd",
    "Cadwaladr", // Irish
    "Ó Súilleabháin",
    "Ní Bhriain",
    "Ó Conchúir",
    "Mac Giolla Phádraig",
    "Ó Ceallaigh",
    "Nic Dhonnchadha",
    "Breathnach", // South Asian
    "Chaudhry",
    "Patel",
    "Shah",
    "Begum",
    "Hussain",
    "Sandhu",
    "Gill",
    "Bains",
    "Sidhu",
    "Ahmed",
    "Rahman",
    "Akhtar",
    "Mahmood",
    "Siddiqui",
    "Bhatti",
    "Kaur",
    "Singh",
    "Iqbal",
    "Choudhury",
    "Bhattacharya",
    "Ramaswamy", // West African
    "Adeyemi",
    "Okafor",
    "Okonkwo",
    "Oyelaran",
    "Mensah",
    "Asante",
    "Boateng",
    "Owusu",
    "Adebayo",
    "Ogunleye",
    "Olawale",
    "Eze",
    "Nwosu",
    "Obi",
    "Adekunle",
    "Akinola",
    "Oyelowo-Adeyemi",
    // Polish
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Brzęczyszczykiewicz",
    "Szczepański", // particles
    "de Souza",
    "da Silva",
    "van der Merwe",
    "Ó Briain",
    "Ní Dhomhnaill",
];

const COMPOUND_GIVEN: &[&str] = &[
    "Anne-Marie",
    "Mary-Jane",
    "Jean-Paul",
    "Mary Ann",
    "Lee-Ann",
    "Rose-Marie",
    "Sarah-Jane",
    "Leigh-Anne",
    "Marie-Claire",
    "Ruth-Ann",
    "Jean-Luc",
    "Anna-Maria",
    "Lucy-Mae",
    "Ella-Rose",
    "Lily-May",
];

/// Common British nicknames and short forms (full, short) the test takes as ground truth.
const NICKNAMES: &[(&str, &str)] = &[
    ("Robert", "Bob"),
    ("Robert", "Rob"),
    ("Robert", "Bobby"),
    ("William", "Bill"),
    ("William", "Will"),
    ("William", "Billy"),
    ("Elizabeth", "Liz"),
    ("Elizabeth", "Beth"),
    ("Elizabeth", "Lizzie"),
    ("Margaret", "Maggie"),
    ("Margaret", "Peggy"),
    ("Margaret", "Meg"),
    ("James", "Jim"),
    ("James", "Jimmy"),
    ("James", "Jamie"),
    ("Michael", "Mike"),
    ("Michael", "Mick"),
    ("Michael", "Mickey"),
    ("Christopher", "Chris"),
    ("Anthony", "Tony"),
    ("Richard", "Rick"),
    ("Richard", "Dick"),
    ("Richard", "Richie"),
    ("Katherine", "Kate"),
    ("Katherine", "Kath"),
    ("Katherine", "Katie"),
    ("Catherine", "Cath"),
    ("Catherine", "Cathy"),
    ("Catherine", "Kate"),
    ("Jennifer", "Jen"),
    ("Jennifer", "Jenny"),
    ("Rebecca", "Becky"),
    ("Rebecca", "Becca"),
    ("Alexander", "Alex"),
    ("Alexander", "Sandy"),
    ("Alexandra", "Alex"),
    ("Alexandra", "Lexi"),
    ("Daniel", "Dan"),
    ("Daniel", "Danny"),
    ("David", "Dave"),
    ("David", "Davy"),
    ("Edward", "Ed"),
    ("Edward", "Eddie"),
    ("Edward", "Ted"),
    ("Edward", "Ned"),
    ("Stephen", "Steve"),
    ("Steven", "Steve"),
    ("Thomas", "Tom"),
    ("Thomas", "Tommy"),
    ("Matthew", "Matt"),
    ("Nicholas", "Nick"),
    ("Nicholas", "Nicky"),
    ("Samuel", "Sam"),
    ("Samantha", "Sam"),
    ("Samantha", "Sammy"),
    ("Joseph", "Joe"),
    ("Joseph", "Joey"),
    ("Jonathan", "Jon"),
    ("Jonathan", "Jonny"),
    ("Benjamin", "Ben"),
    ("Andrew", "Andy"),
    ("Andrew", "Drew"),
    ("Patrick", "Pat"),
    ("Patrick", "Paddy"),
    ("Peter", "Pete"),
    ("Philip", "Phil"),
    ("Phillip", "Phil"),
    ("Timothy", "Tim"),
    ("Terence", "Terry"),
    ("Terence", "Tel"),
    ("Gerald", "Gerry"),
    ("Gareth", "Gaz"),
    ("Kenneth", "Ken"),
    ("Kenneth", "Kenny"),
    ("Raymond", "Ray"),
    ("Ronald", "Ron"),
    ("Ronald", "Ronnie"),
    ("Donald", "Don"),
    ("Douglas", "Doug"),
    ("Frederick", "Fred"),
    ("Frederick", "Freddie"),
    ("Victoria", "Vicky"),
    ("Victoria", "Tori"),
    ("Deborah", "Debbie"),
    ("Deborah", "Debs"),
    ("Susan", "Sue"),
    ("Susan", "Susie"),
    ("Patricia", "Pat"),
    ("Patricia", "Trish"),
    ("Jacqueline", "Jackie"),
    ("Josephine", "Jo"),
    ("Josephine", "Josie"),
    ("Christine", "Chris"),
    ("Amanda", "Mandy"),
    ("Pamela", "Pam"),
    ("Barbara", "Babs"),
    ("Dorothy", "Dot"),
    ("Gillian", "Gill"),
    ("Gillian", "Jill"),
    ("Kimberley", "Kim"),
    ("Nicola", "Nicky"),
    ("Nicola", "Nikki"),
    ("Stephanie", "Steph"),
    ("Natasha", "Tash"),
    ("Natasha", "Tasha"),
    ("Eleanor", "Ellie"),
    ("Eleanor", "Nell"),
    ("Abigail", "Abbie"),
    ("Abigail", "Abby"),
    ("Charlotte", "Charlie"),
    ("Charlotte", "Lottie"),
    ("Frances", "Fran"),
    ("Francesca", "Fran"),
    ("Francesca", "Frankie"),
    ("Georgina", "Georgie"),
    ("Joanne", "Jo"),
    ("Joanna", "Jo"),
    ("Jessica", "Jess"),
    ("Lawrence", "Larry"),
    ("Leonard", "Len"),
    ("Leonard", "Lenny"),
    ("Malcolm", "Mal"),
    ("Nigel", "Nige"),
    ("Russell", "Russ"),
    ("Stanley", "Stan"),
    ("Trevor", "Trev"),
    ("Vincent", "Vince"),
    ("Vincent", "Vinny"),
    ("Mohammed", "Mo"),
    ("Joshua", "Josh"),
    ("Henry", "Harry"),
    ("Dominic", "Dom"),
    ("Bradley", "Brad"),
    ("Callum", "Cal"),
    ("Oliver", "Ollie"),
    ("Gregory", "Greg"),
    ("Geoffrey", "Geoff"),
    ("Jeffrey", "Jeff"),
    ("Derek", "Del"),
    ("Barry", "Baz"),
    ("Gary", "Gaz"),
    ("Kevin", "Kev"),
    ("Maureen", "Mo"),
    ("Valerie", "Val"),
    ("Rosemary", "Rosie"),
    ("Beverley", "Bev"),
    ("Lesley", "Les"),
    ("Leslie", "Les"),
    ("Clifford", "Cliff"),
    ("Francis", "Frank"),
    ("Bernard", "Bernie"),
    ("Sarah", "Sally"),
    ("Mary", "Molly"),
    ("Mary", "Polly"),
    ("Helen", "Nell"),
    ("John", "Jack"),
    ("John", "Johnny"),
    ("Charles", "Charlie"),
    ("Charles", "Chas"),
    ("Caroline", "Carrie"),
    ("Caroline", "Caz"),
    ("Sharon", "Shaz"),
    ("Karen", "Kaz"),
    ("Christopher", "Kit"),
    ("Kathleen", "Kath"),
    ("Kathleen", "Kathy"),
    ("Jacob", "Jake"),
    ("Nathan", "Nat"),
    ("Nathan", "Nate"),
    ("Dafydd", "Dai"),
    ("Dafydd", "Dewi"),
    ("Mohammed", "Muhammad"),
    ("Mohammed", "Mohamed"),
    ("Mohammad", "Muhammad"),
    ("Mohamed", "Mohammad"),
    ("Alan", "Al"),
    ("Albert", "Bert"),
    ("Alfred", "Alf"),
    ("Arthur", "Art"),
    ("Ian", "Iain"),
    ("Sean", "Shaun"),
    ("Matthew", "Mat"),
    ("Anthony", "Ant"),
    ("Timothy", "Timmy"),
    ("Samuel", "Sammy"),
    ("Andrew", "Andi"),
    ("Emily", "Em"),
    ("Emma", "Em"),
    ("Hannah", "Han"),
    ("Lucy", "Lu"),
    ("Sophie", "Soph"),
    ("Natalie", "Nat"),
    ("Louise", "Lou"),
    ("Lewis", "Lew"),
    ("Daniel", "Dani"),
    ("Danielle", "Dani"),
    ("Danielle", "Elle"),
    ("Michelle", "Shelley"),
    ("Michelle", "Chelle"),
    ("Angela", "Angie"),
    ("Christine", "Chrissie"),
    ("Tracey", "Trace"),
    ("Gemma", "Gem"),
    ("Jennifer", "Jenna"),
    ("Amelia", "Millie"),
    ("Isabel", "Izzy"),
    ("Cameron", "Cam"),
    ("Zachary", "Zac"),
    ("Harriet", "Hattie"),
    ("Ellen", "Nell"),
    ("Alexander", "Alec"),
    ("Alistair", "Ally"),
    ("Archibald", "Archie"),
    ("Benedict", "Ben"),
    ("Christina", "Tina"),
    ("Dominic", "Dom"),
    ("Eugene", "Gene"),
    ("Felicity", "Fliss"),
    ("Gabriel", "Gabe"),
    ("Gabrielle", "Gabby"),
    ("Gwendolyn", "Gwen"),
    ("Gwenllian", "Gwen"),
    ("Imogen", "Immy"),
    ("Jacqueline", "Jacqui"),
    ("Jeremy", "Jez"),
    ("Madeleine", "Maddie"),
    ("Matilda", "Tilly"),
    ("Maximilian", "Max"),
    ("Nathaniel", "Nat"),
    ("Oliver", "Olly"),
    ("Penelope", "Penny"),
    ("Philippa", "Pippa"),
    ("Reginald", "Reg"),
    ("Roderick", "Rod"),
    ("Sebastian", "Seb"),
    ("Theodore", "Theo"),
    ("Theresa", "Tess"),
    ("Wilfred", "Wilf"),
    ("Darren", "Daz"),
    ("Warren", "Waz"),
    ("Terence", "Tez"),
    ("Rebecca", "Bex"),
    ("Jonathan", "Jono"),
    ("Llywelyn", "Llew"),
    ("Bethan", "Beth"),
    ("Pádraig", "Paddy"),
    ("Muhammad", "Muhammed"),
    ("Mohammed", "Mohammad"),
    ("Mohamed", "Muhammad"),
    ("Sean", "Shawn"),
    ("Shaun", "Shawn"),
    ("Steven", "Steve"),
    ("Stuart", "Stu"),
    ("Stewart", "Stu"),
    ("Simon", "Si"),
    ("Gordon", "Gordy"),
    ("Kathryn", "Kath"),
    ("Kathryn", "Katie"),
    ("Joanne", "Jo"),
    ("Leanne", "Lea"),
    ("Samantha", "Sammie"),
    ("Jessica", "Jessie"),
    ("Olivia", "Liv"),
    ("Olivia", "Livvy"),
    ("Eleanor", "Nora"),
    ("Eleanor", "Elle"),
    ("Gabriella", "Ella"),
    ("Isabella", "Bella"),
    ("Annabel", "Bella"),
    ("Elizabeth", "Betty"),
    ("Elizabeth", "Libby"),
    ("Elizabeth", "Bess"),
    ("Margaret", "Madge"),
    ("Margaret", "Rita"),
    ("Susannah", "Sue"),
    ("Suzanne", "Sue"),
    ("Kimberly", "Kim"),
    ("Cheryl", "Cher"),
    ("Charlene", "Charlie"),
    ("Christopher", "Kris"),
    ("Patrick", "Paddy"),
    ("Patrick", "Pádraig"),
    ("Frederick", "Freddy"),
    ("Jason", "Jay"),
    ("Thomas", "Tam"),
    ("Richard", "Dickie"),
    ("Kenneth", "Kenny"),
    ("Ronald", "Ronnie"),
    ("Norman", "Norm"),
    ("Douglas", "Dougie"),
    ("Edward", "Teddy"),
    ("Harold", "Harry"),
    ("Alfred", "Alfie"),
];

/// Titles and suffixes found typed into name fields.
const TITLES: &[&str] = &["Mr", "Mrs", "Ms", "Miss", "Dr", "Mr.", "Mrs.", "Dr."];
const SUFFIXES: &[&str] = &["Jr", "Jnr", "Snr", "Sr", "Jr.", "II", "III"];

struct Registry {
    people: Vec<Person>,
    prepared: Vec<Prepared>,
    index: HashMap<String, Vec<usize>>,
}

impl Registry {
    fn new(people: Vec<Person>) -> Registry {
        let prepared: Vec<Prepared> = people
            .iter()
            .map(|p| Prepared::new(&p.identity()))
            .collect();
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in prepared.iter().enumerate() {
            for k in index_keys(p) {
                index.entry(k).or_default().push(i);
            }
        }
        Registry {
            people,
            prepared,
            index,
        }
    }

    /// What the store does: probe, compare, decide. Returns the outcome, keys and candidates.
    fn check(&self, q: &Prepared) -> (Outcome, usize, usize, Vec<(usize, Strength)>) {
        let keys = query_keys(q);
        let mut cands = BTreeSet::new();
        for k in &keys {
            if let Some(v) = self.index.get(k) {
                cands.extend(v.iter().copied());
            }
        }
        let (mut barred, mut inv, mut possible) = (false, false, false);
        let mut hits = Vec::new();
        for &c in &cands {
            if let Some(m) = compare(q, &self.prepared[c], &MatchConfig::default()) {
                hits.push((c, m.strength));
                match (m.strength, self.people[c].barred) {
                    (Strength::Strong, true) => barred = true,
                    (Strength::Strong, false) => inv = true,
                    (Strength::Possible, _) => possible = true,
                }
            }
        }
        let outcome = if barred {
            Outcome::Barred
        } else if inv {
            Outcome::UnderInvestigation
        } else if possible {
            Outcome::Refer
        } else {
            Outcome::Clear
        };
        (outcome, keys.len(), cands.len(), hits)
    }
}

fn load() -> Vec<Person> {
    REGISTRY
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let r: Row = serde_json::from_str(l).unwrap();
            Person {
                given: r.given_names,
                family: r.family_name,
                dob: date(&r.dob),
                prev: r
                    .previous_names
                    .into_iter()
                    .map(|n| (n.given_names, n.family_name))
                    .collect(),
                ni: r.ni,
                barred: r.list == "BARRED",
            }
        })
        .collect()
}

/// People with names the public registry lacks, appended to it.
fn extras(rng: &mut Rng, base: &[Person]) -> Vec<Person> {
    let mut out = Vec::new();
    let given_pool: Vec<String> = base.iter().map(|p| p.first_given()).collect();
    let person = |rng: &mut Rng, given: String, family: String| Person {
        given,
        family,
        dob: rng.date(),
        prev: vec![],
        ni: None,
        barred: rng.chance(0.5),
    };
    for _ in 0..150 {
        let a = rng.pick(BASE_FAMILIES);
        let mut b = rng.pick(BASE_FAMILIES);
        while b == a {
            b = rng.pick(BASE_FAMILIES);
        }
        let sep = if rng.chance(0.7) { "-" } else { " " };
        let g = rng.pick(&given_pool).clone();
        out.push(person(rng, g, format!("{a}{sep}{b}")));
    }
    for _ in 0..100 {
        let f = if rng.chance(0.5) {
            rng.pick(MC_FAMILIES)
        } else {
            rng.pick(O_FAMILIES)
        };
        let g = rng.pick(&given_pool).clone();
        out.push(person(rng, g, (*f).to_string()));
    }
    for _ in 0..150 {
        let g = rng.pick(TRANSLIT_GIVEN);
        let f = rng.pick(TRANSLIT_FAMILY);
        out.push(person(rng, (*g).to_string(), (*f).to_string()));
    }
    for _ in 0..300 {
        let g = rng.pick(DIVERSE_GIVEN);
        let f = rng.pick(DIVERSE_FAMILY);
        out.push(person(rng, (*g).to_string(), (*f).to_string()));
    }
    for _ in 0..100 {
        let g = rng.pick(COMPOUND_GIVEN);
        let f = rng.pick(BASE_FAMILIES);
        out.push(person(rng, (*g).to_string(), (*f).to_string()));
    }
    for (full, _) in NICKNAMES.iter().step_by(3) {
        let f = rng.pick(BASE_FAMILIES);
        out.push(person(rng, (*full).to_string(), (*f).to_string()));
    }
    // Listed by a Gaelic or Welsh family name, or by its anglicised form.
    for _ in 0..120 {
        let (gaelic, anglicised) = *rng.pick(GAELIC_FAMILIES);
        let f = if rng.chance(0.5) { gaelic } else { anglicised };
        let g = rng.pick(&given_pool).clone();
        out.push(person(rng, g, f.to_string()));
    }
    for _ in 0..60 {
        let (a, b) = *rng.pick(ANGLICISED_SIBLINGS);
        let f = if rng.chance(0.5) { a } else { b };
        let g = rng.pick(&given_pool).clone();
        out.push(person(rng, g, f.to_string()));
    }
    // Listed in Greek or Cyrillic script or in a passport's Latin.
    for (given, family) in [
        (GREEK_NAMES, GREEK_FAMILIES),
        (CYRILLIC_NAMES, CYRILLIC_FAMILIES),
    ] {
        for _ in 0..80 {
            let (gs, gl) = *rng.pick(given);
            let (fs, fl) = *rng.pick(family);
            let (g, f) = if rng.chance(0.5) { (gs, fs) } else { (gl, fl) };
            out.push(person(rng, g.to_string(), f.to_string()));
        }
    }
    for _ in 0..80 {
        let (g, _) = *rng.pick(ROMANISED_GIVEN);
        let (f, _) = *rng.pick(ROMANISED_FAMILY);
        out.push(person(rng, g.to_string(), f.to_string()));
    }
    out
}

const KEYBOARD: &str = "qwertyuiopasdfghjklzxcvbnm";

/// One typing slip: a letter replaced, inserted, dropped, doubled, or two adjacent exchanged.
/// `from` is the first position that may be touched.
fn slip(rng: &mut Rng, s: &str, from: usize, how: Option<u8>) -> String {
    let mut c: Vec<char> = s.chars().collect();
    let letters: Vec<usize> = (from..c.len()).filter(|&i| c[i].is_alphabetic()).collect();
    if letters.is_empty() {
        return s.to_string();
    }
    let i = *rng.pick(&letters);
    let upper = c[i].is_uppercase();
    let letter = |rng: &mut Rng, not: char| loop {
        let l = KEYBOARD.as_bytes()[rng.below(26)] as char;
        let l = if upper { l.to_ascii_uppercase() } else { l };
        if !l.eq_ignore_ascii_case(&not) {
            break l;
        }
    };
    match how.unwrap_or(rng.below(5) as u8) {
        0 => {
            let l = letter(rng, c[i]);
            c[i] = l;
        }
        1 => {
            let l = letter(rng, c[i]);
            c.insert(i + 1, l.to_ascii_lowercase());
        }
        2 => {
            c.remove(i);
        }
        3 => {
            let d = c[i];
            c.insert(i, d.to_ascii_lowercase());
        }
        _ => {
            if i + 1 < c.len() && c[i + 1].is_alphabetic() && c[i] != c[i + 1] {
                let (x, y) = (c[i], c[i + 1]);
                c[i] = if upper { y.to_ascii_uppercase() } else { y };
                c[i + 1] = x.to_lowercase().next().unwrap_or(x);
            } else {
                c.remove(i);
            }
        }
    }
    c.into_iter().collect()
}

/// A vowel or sound-alike spelling change (Smyth/Smith, Steven/Stephen, Catherine/Katherine).
fn sound_change(rng: &mut Rng, s: &str) -> Option<String> {
    const RULES: &[(&str, &str)] = &[
        ("ph", "v"),
        ("v", "ph"),
        ("ph", "f"),
        ("f", "ph"),
        ("i", "y"),
        ("y", "i"),
        ("C", "K"),
        ("K", "C"),
        ("ck", "k"),
        ("ey", "y"),
        ("ie", "y"),
        ("ee", "ea"),
        ("ai", "ay"),
        ("ou", "ow"),
        ("mps", "ms"),
        ("ms", "mps"),
        ("tt", "t"),
        ("ll", "l"),
        ("nn", "n"),
        ("ss", "s"),
        ("rr", "r"),
        ("e", "a"),
        ("a", "e"),
        ("o", "u"),
        ("ei", "ie"),
        ("ey", "ie"),
    ];
    let mut options = Vec::new();
    for (from, to) in RULES {
        for (i, _) in s.match_indices(from) {
            options.push((i, *from, *to));
        }
    }
    if options.is_empty() {
        return None;
    }
    let (i, from, to) = *rng.pick(&options);
    Some(format!("{}{}{}", &s[..i], to, &s[i + from.len()..]))
}

fn transposed(d: Date) -> Option<Date> {
    (d.day <= 12 && d.day != d.month).then(|| Date::new(d.year, d.day, d.month))
}

fn valid(d: Date) -> bool {
    d.validate().is_ok() && (1900..=2010).contains(&d.year)
}

/// One digit of YYYYMMDD changed, to another valid date that is not the transposition.
fn one_digit(rng: &mut Rng, d: Date) -> Date {
    loop {
        let s = format!("{:04}{:02}{:02}", d.year, d.month, d.day);
        let mut b = s.into_bytes();
        let i = 2 + rng.below(6);
        let nd = b'0' + rng.below(10) as u8;
        if b[i] == nd {
            continue;
        }
        b[i] = nd;
        let t = String::from_utf8(b).unwrap();
        let nd = Date::new(
            t[..4].parse().unwrap(),
            t[4..6].parse().unwrap(),
            t[6..].parse().unwrap(),
        );
        if valid(nd) && Some(nd) != transposed(d) {
            return nd;
        }
    }
}

/// Digits of two dates that differ.
fn digit_diff(a: Date, b: Date) -> usize {
    let s = |d: Date| format!("{:04}{:02}{:02}", d.year, d.month, d.day);
    s(a).bytes()
        .zip(s(b).bytes())
        .filter(|(x, y)| x != y)
        .count()
}

/// Whether two dates are plainly different (more than two digits apart, not transposed, not a
/// year apart): the test's own, independent notion.
fn plainly_different(a: Date, b: Date) -> bool {
    digit_diff(a, b) > 2
        && transposed(a) != Some(b)
        && !(a.month == b.month && a.day == b.day && (a.year - b.year).abs() <= 1)
}

/// Given names and their forms in another language or another spelling, as an applicant may
/// give them (written here independently of `data/name-equivalents.csv`).
const OTHER_FORMS: &[(&str, &str)] = &[
    ("John", "Sean"),
    ("John", "Ian"),
    ("John", "Jan"),
    ("David", "Dafydd"),
    ("David", "Dewi"),
    ("James", "Seamus"),
    ("Peter", "Piotr"),
    ("Peter", "Pierre"),
    ("Michael", "Mikhail"),
    ("Michael", "Michal"),
    ("Thomas", "Tomos"),
    ("Thomas", "Tomasz"),
    ("Mary", "Maire"),
    ("Mary", "Mairi"),
    ("Catherine", "Kathryn"),
    ("Catherine", "Catriona"),
    ("Stephen", "Steven"),
    ("Joseph", "Yusuf"),
    ("Joseph", "Giuseppe"),
    ("Hugh", "Huw"),
    ("Patrick", "Padraig"),
    ("Alexander", "Alasdair"),
    ("Margaret", "Mairead"),
    ("Helen", "Eilidh"),
    ("Paul", "Pawel"),
    ("Andrew", "Andrzej"),
    ("Charles", "Carlos"),
    ("George", "Jerzy"),
    ("Geoffrey", "Jeffrey"),
];

fn nick_of(rng: &mut Rng, first: &str) -> Option<String> {
    let opts: Vec<&str> = NICKNAMES
        .iter()
        .filter(|(f, _)| f.eq_ignore_ascii_case(first))
        .map(|(_, s)| *s)
        .collect();
    (!opts.is_empty()).then(|| (*rng.pick(&opts)).to_string())
}

fn related_given(a: &str, b: &str) -> bool {
    let fold = |s: &str| vetting::matching::normalise::normalise_name_part(s).replace(' ', "");
    let (a, b) = (fold(a), fold(b));
    a == b
        || a.chars().next() == b.chars().next() && (a.len() < 3 || b.len() < 3)
        || NICKNAMES.iter().any(|(f, s)| {
            let (f, s) = (f.to_lowercase(), s.to_lowercase());
            (f == a && s == b) || (f == b && s == a)
        })
        || vetting::matching::score::within_one_edit(&a, &b)
        || vetting::matching::normalise::phonetic(&a) == vetting::matching::normalise::phonetic(&b)
        || vetting::matching::nicknames::are_forms(&a, &b)
        || vetting::matching::nicknames::equivalence(&a, &b).is_some()
}

/// Whether any given-name word of one side is related to any of the other's.
fn related_any(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split(|c: char| c == '-' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (wa, wb) = (words(a), words(b));
    wa.iter().any(|x| wb.iter().any(|y| related_given(x, y)))
}

fn replace_given_first(given: &str, new_first: &str) -> String {
    let mut parts: Vec<&str> = given.split_whitespace().collect();
    if let Some(p) = parts.first_mut() {
        *p = new_first;
    }
    parts.join(" ")
}

/// Transliteration: a letter with a diacritic written in one of its ASCII forms.
fn ascii_form(rng: &mut Rng, s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        let opts: &[&str] = match ch {
            'ü' => &["ue", "u"],
            'Ü' => &["Ue", "U"],
            'ö' => &["oe", "o"],
            'Ö' => &["Oe", "O"],
            'ä' => &["ae", "a"],
            'ø' => &["oe", "o"],
            'Ø' => &["Oe", "O"],
            'å' => &["aa", "a"],
            'Å' => &["Aa", "A"],
            'ß' => &["ss"],
            'ł' => &["l"],
            'Ł' => &["L"],
            'ş' => &["s"],
            _ => &[],
        };
        if opts.is_empty() {
            out.push(ch);
        } else {
            let rep: &&str = rng.pick(opts);
            out.push_str(rep);
        }
    }
    out
}

type Gen = fn(&mut Rng, &Registry, usize) -> Option<Query>;

struct Kind {
    name: &'static str,
    expect: Expect,
    make: Gen,
}

/// Irish Ní and Nic lenite the name that follows (Ní Bhriain): never dropped, so not listed here.
const PARTICLES: &[&str] = &[
    "o", "mac", "mc", "ap", "ab", "de", "da", "di", "du", "la", "le", "van", "von", "der", "den",
    "del", "dos", "das", "st", "al", "el", "bin", "ibn", "y",
];

fn family_parts(p: &Person) -> Vec<&str> {
    p.family
        .split(|c: char| c == '-' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A double-barrelled family name: two or more parts, none a particle or shorter than 3 letters.
fn has_complex_family(p: &Person) -> bool {
    let parts = family_parts(p);
    parts.len() >= 2
        && parts.iter().all(|x| {
            let f = vetting::matching::normalise::normalise_name_part(x);
            f.len() >= 3 && !PARTICLES.contains(&f.as_str()) && f != "nic"
        })
}

/// A family name led by a particle (Ó Briain, ap Gruffudd, van der Berg, de Souza).
fn particle_family(p: &Person) -> Option<String> {
    let parts = family_parts(p);
    let n = parts
        .iter()
        .take_while(|x| {
            PARTICLES.contains(&vetting::matching::normalise::normalise_name_part(x).as_str())
        })
        .count();
    (n > 0 && n < parts.len()).then(|| parts[n..].join(" "))
}

/// Some listed person has this name (folded first given and family) and a date of birth that is
/// not plainly different: a flag on such a query is right, so it is no negative.
fn near_namesake(r: &Registry, given: &str, family: &str, dob: Date) -> bool {
    let fold = |s: &str| vetting::matching::normalise::normalise_name_part(s);
    let first = |s: &str| fold(s).split(' ').next().unwrap_or("").to_string();
    let (g, f) = (first(given), fold(family));
    r.people.iter().any(|p| {
        std::iter::once((p.given.as_str(), p.family.as_str()))
            .chain(p.prev.iter().map(|(a, b)| (a.as_str(), b.as_str())))
            .any(|(pg, pf)| fold(pf) == f && related_given(&first(pg), &g))
            && !plainly_different(p.dob, dob)
    })
}

fn kinds() -> Vec<Kind> {
    vec![
        Kind {
            name: "exact",
            expect: Expect::Strong,
            make: |_, r, t| Some(Query::of(&r.people[t], t)),
        },
        Kind {
            name: "case_space_extremes",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                let mut q = Query::of(p, t);
                match rng.below(4) {
                    0 => {
                        q.given = format!("  {}\t", p.given.to_uppercase());
                        q.family = format!(" {}  ", p.family.to_lowercase());
                    }
                    1 => {
                        q.given = p
                            .given
                            .chars()
                            .enumerate()
                            .map(|(i, c)| {
                                if i % 2 == 0 {
                                    c.to_lowercase().next().unwrap_or(c)
                                } else {
                                    c.to_uppercase().next().unwrap_or(c)
                                }
                            })
                            .collect();
                        q.family = p.family.to_uppercase();
                    }
                    2 => {
                        q.given = p.given.replace(' ', "\u{a0}\u{a0}");
                        q.family = format!("{}\u{a0}", p.family);
                    }
                    _ => {
                        q.given = format!("{} ,", p.given);
                        q.family = format!("{}.", p.family.to_uppercase());
                    }
                }
                Some(q)
            },
        },
        Kind {
            name: "middle_dropped",
            expect: Expect::Strong,
            make: |_, r, t| {
                let p = &r.people[t];
                if !p.given.contains(' ') {
                    return None;
                }
                let mut q = Query::of(p, t);
                q.given = p.first_given();
                Some(q)
            },
        },
        Kind {
            name: "hyphen_part",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                if !has_complex_family(p) {
                    return None;
                }
                let parts: Vec<&str> = p
                    .family
                    .split(|c: char| c == '-' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .collect();
                let mut q = Query::of(p, t);
                q.family = (*rng.pick(&parts)).to_string();
                Some(q)
            },
        },
        Kind {
            name: "hyphen_joined",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                if !has_complex_family(p) {
                    return None;
                }
                let parts: Vec<&str> = p
                    .family
                    .split(|c: char| c == '-' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .collect();
                let mut q = Query::of(p, t);
                q.family = match rng.below(3) {
                    0 => parts.join(" "),
                    1 => parts.concat(),
                    _ => parts.join(" - "),
                };
                Some(q)
            },
        },
        Kind {
            name: "hyphen_reordered",
            expect: Expect::Strong,
            make: |_, r, t| {
                let p = &r.people[t];
                if !has_complex_family(p) {
                    return None;
                }
                let mut parts: Vec<&str> = p
                    .family
                    .split(|c: char| c == '-' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .collect();
                parts.reverse();
                let mut q = Query::of(p, t);
                q.family = parts.join("-");
                Some(q)
            },
        },
        Kind {
            name: "single_listed_double_checked",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                if has_complex_family(p) || p.family.contains('\'') || particle_family(p).is_some()
                {
                    return None;
                }
                let other = rng.pick(BASE_FAMILIES);
                if other.eq_ignore_ascii_case(&p.family) {
                    return None;
                }
                let mut q = Query::of(p, t);
                q.family = if rng.chance(0.5) {
                    format!("{}-{other}", p.family)
                } else {
                    format!("{other}-{}", p.family)
                };
                Some(q)
            },
        },
        Kind {
            name: "mc_mac",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                let f = p.family.as_str();
                let rest = match f.strip_prefix("Mac") {
                    Some(rest) => rest,
                    None => f.strip_prefix("Mc")?,
                };
                if rest.len() < 3 || rest.contains('-') {
                    return None;
                }
                let mut q = Query::of(p, t);
                q.family = match rng.below(5) {
                    0 => format!("Mac{rest}"),
                    1 => format!("Mc{rest}"),
                    2 => format!("Mc {rest}"),
                    3 => format!("Mac {rest}"),
                    _ => format!("MC{}", rest.to_uppercase()),
                };
                Some(q)
            },
        },
        Kind {
            name: "o_apostrophe",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                let rest = p.family.strip_prefix("O'")?;
                if rest.contains('-') {
                    return None;
                }
                let mut q = Query::of(p, t);
                q.family = match rng.below(5) {
                    0 => format!("O{rest}"),
                    1 => format!("O {rest}"),
                    2 => format!("O\u{2019}{rest}"),
                    3 => format!("O' {rest}"),
                    _ => format!("O{}", rest.to_lowercase()),
                };
                Some(q)
            },
        },
        Kind {
            name: "transliteration",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                let (g, f) = (ascii_form(rng, &p.given), ascii_form(rng, &p.family));
                if g == p.given && f == p.family {
                    return None;
                }
                Some(Query {
                    given: g,
                    family: f,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "diverse_names_exact_forms",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                let diverse = DIVERSE_FAMILY.contains(&p.family.as_str())
                    || DIVERSE_GIVEN.contains(&p.given.as_str());
                if !diverse {
                    return None;
                }
                let strip = |s: &str| deunicode::deunicode(s);
                let mut q = Query::of(p, t);
                match rng.below(3) {
                    0 => {}
                    1 => {
                        q.given = strip(&p.given);
                        q.family = strip(&p.family);
                    }
                    _ => {
                        q.given = p.given.to_uppercase();
                        q.family = strip(&p.family).to_uppercase();
                    }
                }
                Some(q)
            },
        },
        Kind {
            name: "given_names_run_together",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                if !COMPOUND_GIVEN.contains(&p.given.as_str()) {
                    return None;
                }
                let parts: Vec<&str> = p
                    .given
                    .split(|c: char| c == '-' || c.is_whitespace())
                    .collect();
                let mut q = Query::of(p, t);
                q.given = match rng.below(3) {
                    0 => parts.concat(),
                    1 => parts.join(" "),
                    _ => {
                        let s = parts.concat().to_lowercase();
                        let mut c = s.chars();
                        c.next()
                            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                            .unwrap_or_default()
                    }
                };
                Some(q)
            },
        },
        Kind {
            name: "nickname",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                let nick = nick_of(rng, &p.first_given())?;
                let mut q = Query::of(p, t);
                q.given = replace_given_first(&p.given, &nick);
                if rng.chance(0.5) {
                    q.given = nick;
                }
                Some(q)
            },
        },
        Kind {
            name: "previous_name_used",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                if p.prev.is_empty() {
                    return None;
                }
                let (g, f) = rng.pick(&p.prev).clone();
                Some(Query {
                    given: g,
                    family: f,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "alias_both_sides",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                if p.prev.is_empty() {
                    return None;
                }
                let (g, f) = rng.pick(&p.prev).clone();
                let new_family = rng.pick(BASE_FAMILIES);
                if p.family == *new_family || f == *new_family {
                    return None;
                }
                Some(Query {
                    given: g.clone(),
                    family: (*new_family).to_string(),
                    prev: vec![(g, f)],
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "title_suffix_noise",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                let mut q = Query::of(p, t);
                match rng.below(3) {
                    0 => q.given = format!("{} {}", rng.pick(TITLES), p.given),
                    1 => q.family = format!("{} {}", p.family, rng.pick(SUFFIXES)),
                    _ => {
                        q.given = format!("{} {}", rng.pick(TITLES), p.first_given());
                        q.family = format!("{}, {}", p.family, rng.pick(SUFFIXES));
                    }
                }
                Some(q)
            },
        },
        // ---- flag: at most POSSIBLE is right, CLEAR is wrong ----
        Kind {
            name: "given_name_in_another_language",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let first = p.first_given();
                let opts: Vec<&str> = OTHER_FORMS
                    .iter()
                    .filter_map(|(a, b)| {
                        if a.eq_ignore_ascii_case(&first) {
                            Some(*b)
                        } else if b.eq_ignore_ascii_case(&first) {
                            Some(*a)
                        } else {
                            None
                        }
                    })
                    .collect();
                if opts.is_empty() {
                    return None;
                }
                let mut q = Query::of(p, t);
                let form: &str = rng.pick::<&str>(&opts);
                q.given = replace_given_first(&p.given, form);
                Some(q)
            },
        },
        Kind {
            name: "particle_dropped",
            expect: Expect::Flag,
            make: |_, r, t| {
                let p = &r.people[t];
                Some(Query {
                    family: particle_family(p)?,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "initials",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let inits: Vec<String> = p
                    .given
                    .split_whitespace()
                    .filter_map(|g| g.chars().next())
                    .map(|c| c.to_uppercase().to_string())
                    .collect();
                let mut q = Query::of(p, t);
                q.given = match rng.below(5) {
                    0 => format!("{}.", inits.first()?),
                    1 => inits.join(" "),
                    2 => inits.iter().map(|i| format!("{i}.")).collect(),
                    3 => inits.concat(),
                    _ => {
                        let rest: Vec<&str> = p.given.split_whitespace().skip(1).collect();
                        format!("{}. {}", inits.first()?, rest.join(" "))
                    }
                };
                Some(q)
            },
        },
        Kind {
            name: "dob_one_digit",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                Some(Query {
                    dob: Some(one_digit(rng, p.dob)),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "dob_year_apart",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let y = if rng.chance(0.5) { 1 } else { -1 };
                let d = Date::new(p.dob.year + y, p.dob.month, p.dob.day);
                valid(d).then(|| Query {
                    dob: Some(d),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "dob_transposed",
            expect: Expect::Flag,
            make: |_, r, t| {
                let p = &r.people[t];
                Some(Query {
                    dob: Some(transposed(p.dob)?),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "dob_missing",
            expect: Expect::Flag,
            make: |_, r, t| {
                Some(Query {
                    dob: None,
                    ..Query::of(&r.people[t], t)
                })
            },
        },
        Kind {
            name: "typo_given",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let g = slip(rng, &p.first_given(), 0, None);
                Some(Query {
                    given: replace_given_first(&p.given, &g),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "typo_family",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                Some(Query {
                    family: slip(rng, &p.family, 0, None),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "typo_plus_missing_dob",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let mut q = Query::of(p, t);
                q.dob = None;
                if rng.chance(0.5) {
                    q.family = slip(rng, &p.family, 0, None);
                } else {
                    q.given = replace_given_first(&p.given, &slip(rng, &p.first_given(), 0, None));
                }
                Some(q)
            },
        },
        Kind {
            name: "typo_first_letter_missing_dob",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let mut q = Query::of(p, t);
                q.dob = None;
                let first_only = |rng: &mut Rng, s: &str| {
                    let mut c: Vec<char> = s.chars().collect();
                    if c.len() < 4 {
                        return None;
                    }
                    match rng.below(3) {
                        0 => {
                            c.swap(0, 1);
                            c[0] = c[0].to_uppercase().next()?;
                            c[1] = c[1].to_lowercase().next()?;
                        }
                        1 => {
                            c.remove(0);
                            c[0] = c[0].to_uppercase().next()?;
                        }
                        _ => {
                            let l = KEYBOARD.as_bytes()[rng.below(26)] as char;
                            if l == c[0].to_ascii_lowercase() {
                                return None;
                            }
                            c[0] = l.to_ascii_uppercase();
                        }
                    }
                    Some(c.into_iter().collect::<String>())
                };
                if rng.chance(0.5) {
                    q.family = first_only(rng, &p.family)?;
                } else {
                    q.given = replace_given_first(&p.given, &first_only(rng, &p.first_given())?);
                }
                Some(q)
            },
        },
        Kind {
            name: "transposed_letters",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let mut q = Query::of(p, t);
                if rng.chance(0.5) {
                    q.family = slip(rng, &p.family, 0, Some(4));
                } else {
                    q.given =
                        replace_given_first(&p.given, &slip(rng, &p.first_given(), 0, Some(4)));
                }
                Some(q)
            },
        },
        Kind {
            name: "doubled_or_dropped_letter",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let how = if rng.chance(0.5) { 2 } else { 3 };
                let mut q = Query::of(p, t);
                if rng.chance(0.5) {
                    q.family = slip(rng, &p.family, 1, Some(how));
                } else {
                    q.given =
                        replace_given_first(&p.given, &slip(rng, &p.first_given(), 1, Some(how)));
                }
                Some(q)
            },
        },
        Kind {
            name: "sound_alike_spelling",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let mut q = Query::of(p, t);
                if rng.chance(0.5) {
                    q.family = sound_change(rng, &p.family)?;
                } else {
                    q.given = replace_given_first(&p.given, &sound_change(rng, &p.first_given())?);
                }
                Some(q)
            },
        },
        Kind {
            name: "swapped",
            expect: Expect::Flag,
            make: |_, r, t| {
                let p = &r.people[t];
                Some(Query {
                    given: p.family.clone(),
                    family: p.given.clone(),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "swapped_plus_dob_transposed",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let g = if rng.chance(0.5) {
                    p.given.clone()
                } else {
                    p.first_given()
                };
                Some(Query {
                    given: p.family.clone(),
                    family: g,
                    dob: Some(transposed(p.dob)?),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "nickname_plus_dob_transposed",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let nick = nick_of(rng, &p.first_given())?;
                Some(Query {
                    given: nick,
                    dob: Some(transposed(p.dob)?),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "nickname_plus_dob_missing",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let nick = nick_of(rng, &p.first_given())?;
                Some(Query {
                    given: nick,
                    dob: None,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "previous_name_typo",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                if p.prev.is_empty() {
                    return None;
                }
                let (g, f) = rng.pick(&p.prev).clone();
                Some(Query {
                    given: g,
                    family: slip(rng, &f, 1, None),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "diverse_names_typo",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                if !DIVERSE_FAMILY.contains(&p.family.as_str()) {
                    return None;
                }
                let mut q = Query::of(p, t);
                if rng.chance(0.5) {
                    q.family = slip(rng, &deunicode::deunicode(&p.family), 1, None);
                } else {
                    q.given = slip(rng, &deunicode::deunicode(&p.given), 1, None);
                }
                Some(q)
            },
        },
        // ---- negatives: CLEAR is right ----
        Kind {
            name: "two_slips_long_family",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                if p.family.chars().count() < 7
                    || !p.family.chars().all(|c| c.is_ascii_alphabetic())
                {
                    return None;
                }
                let once = slip(rng, &p.family, 1, None);
                let twice = slip(rng, &once, 1, None);
                if twice.chars().count() < 7
                    || strsim::osa_distance(&twice.to_lowercase(), &p.family.to_lowercase()) != 2
                {
                    return None;
                }
                Some(Query {
                    family: twice,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "scanned_form",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let mut q = Query::of(p, t);
                let family = rng.chance(0.5);
                let field = if family { &mut q.family } else { &mut q.given };
                let found: Vec<(&str, &str)> = [
                    ("m", "rn"),
                    ("rn", "m"),
                    ("d", "cl"),
                    ("cl", "d"),
                    ("w", "vv"),
                    ("h", "li"),
                    ("u", "ii"),
                    ("n", "ri"),
                    ("l", "1"),
                    ("i", "l"),
                    ("o", "0"),
                    ("e", "c"),
                    ("s", "5"),
                ]
                .into_iter()
                .filter(|(from, _)| field.get(1..).is_some_and(|rest| rest.contains(from)))
                .collect();
                if found.is_empty() {
                    return None;
                }
                let (from, to) = *rng.pick(&found);
                let head: String = field.chars().take(1).collect();
                let rest: String = field.chars().skip(1).collect();
                *field = format!("{head}{}", rest.replacen(from, to, 1));
                Some(q)
            },
        },
        Kind {
            name: "romanisation_system_spelling",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let mut q = Query::of(p, t);
                let family = rng.chance(0.5);
                let field = if family { &mut q.family } else { &mut q.given };
                let found: Vec<(&str, &str)> = [
                    ("y", "i"),
                    ("i", "y"),
                    ("x", "ks"),
                    ("ks", "x"),
                    ("kh", "h"),
                    ("ph", "f"),
                    ("ou", "u"),
                    ("j", "y"),
                    ("ll", "l"),
                    ("tt", "t"),
                    ("tz", "ts"),
                ]
                .into_iter()
                .filter(|(from, _)| field.get(1..).is_some_and(|rest| rest.contains(from)))
                .collect();
                if found.is_empty() || !field.is_ascii() {
                    return None;
                }
                let (from, to) = *rng.pick(&found);
                let head: String = field.chars().take(1).collect();
                let rest: String = field.chars().skip(1).collect();
                *field = format!("{head}{}", rest.replacen(from, to, 1));
                Some(q)
            },
        },
        Kind {
            name: "gaelic_or_welsh_family_name_as_anglicised",
            expect: Expect::Flag,
            make: |_, r, t| {
                let p = &r.people[t];
                let other = other_of(GAELIC_FAMILIES, &p.family)?;
                Some(Query {
                    family: other.to_string(),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "irish_womans_form_of_family_name",
            expect: Expect::Flag,
            make: |_, r, t| {
                let p = &r.people[t];
                let gaelic = if p.family.starts_with("Ó ") {
                    p.family.as_str()
                } else {
                    GAELIC_FAMILIES
                        .iter()
                        .find(|(g, a)| *a == p.family && g.starts_with("Ó "))?
                        .0
                };
                Some(Query {
                    family: irish_female(gaelic)?,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "neg_another_english_name_of_one_welsh_name",
            expect: Expect::Clear,
            make: |_, r, t| {
                let p = &r.people[t];
                let other = other_of(ANGLICISED_SIBLINGS, &p.family)?;
                Some(Query {
                    family: other.to_string(),
                    target: None,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "greek_or_cyrillic_script_and_passport_latin",
            expect: Expect::Flag,
            make: |_, r, t| {
                let p = &r.people[t];
                let given = other_of(GREEK_NAMES, &p.given)
                    .or_else(|| other_of(CYRILLIC_NAMES, &p.given))?;
                let family = other_of(GREEK_FAMILIES, &p.family)
                    .or_else(|| other_of(CYRILLIC_FAMILIES, &p.family))?;
                Some(Query {
                    given: given.to_string(),
                    family: family.to_string(),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "arabic_or_south_asian_other_spelling",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let given = other_of(ROMANISED_GIVEN, &p.given)?;
                let family = other_of(ROMANISED_FAMILY, &p.family)?;
                let q = Query::of(p, t);
                Some(match rng.below(3) {
                    0 => Query {
                        given: given.to_string(),
                        ..q
                    },
                    1 => Query {
                        family: family.to_string(),
                        ..q
                    },
                    _ => Query {
                        given: given.to_string(),
                        family: family.to_string(),
                        ..q
                    },
                })
            },
        },
        Kind {
            name: "maiden_name_as_middle_name",
            expect: Expect::Flag,
            make: |rng, r, t| {
                let p = &r.people[t];
                let married = rng.pick(&r.people);
                if married.family == p.family || !p.family.chars().all(char::is_alphabetic) {
                    return None;
                }
                Some(Query {
                    given: format!("{} {}", p.first_given(), p.family),
                    family: married.family.clone(),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "middle_name_on_record_as_family_name",
            expect: Expect::Flag,
            make: |_, r, t| {
                let p = &r.people[t];
                let middle = p.given.split_whitespace().nth(1)?;
                if middle.chars().count() < 3 {
                    return None;
                }
                Some(Query {
                    given: p.first_given(),
                    family: middle.to_string(),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "post_nominals",
            expect: Expect::Strong,
            make: |rng, r, t| {
                let p = &r.people[t];
                let letters =
                    *rng.pick(&["QPM", "KPM", "BEM", "MBE", "OBE, JP", "CBE", "DL", "QFSM"]);
                Some(Query {
                    family: format!("{} {letters}", p.family),
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "neg_first_name_like_a_middle_name",
            expect: Expect::Clear,
            make: |rng, r, t| {
                let p = &r.people[t];
                let middle = p.given.split_whitespace().nth(1)?;
                if middle.chars().count() < 4 {
                    return None;
                }
                let like = slip(rng, middle, 1, None);
                if like.eq_ignore_ascii_case(middle) || related_any(&like, &p.first_given()) {
                    return None;
                }
                let dob = Date::new(
                    p.dob.year,
                    p.dob.month,
                    if p.dob.day < 28 {
                        p.dob.day + 1
                    } else {
                        p.dob.day - 1
                    },
                );
                if near_namesake(r, &like, &p.family, dob) {
                    return None;
                }
                Some(Query {
                    given: like,
                    dob: Some(dob),
                    target: None,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "neg_same_name_other_dob_years",
            expect: Expect::Clear,
            make: |rng, r, t| {
                let p = &r.people[t];
                let d = Date::new(
                    p.dob.year + if rng.chance(0.5) { 1 } else { -1 } * (3 + rng.below(15) as i32),
                    1 + rng.below(12) as u8,
                    1 + rng.below(28) as u8,
                );
                (valid(d) && !near_namesake(r, &p.given, &p.family, d)).then(|| Query {
                    dob: Some(d),
                    target: None,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "neg_same_name_same_year_other_day_month",
            expect: Expect::Clear,
            make: |rng, r, t| {
                let p = &r.people[t];
                let d = Date::new(p.dob.year, 1 + rng.below(12) as u8, 1 + rng.below(28) as u8);
                (!near_namesake(r, &p.given, &p.family, d)).then(|| Query {
                    dob: Some(d),
                    target: None,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "neg_same_dob_other_name",
            expect: Expect::Clear,
            make: |rng, r, t| {
                let p = &r.people[t];
                let o = rng.pick(&r.people);
                if related_given(&o.first_given(), &p.first_given())
                    || o.family == p.family
                    || near_namesake(r, &o.given, &o.family, p.dob)
                {
                    return None;
                }
                Some(Query {
                    given: o.given.clone(),
                    family: o.family.clone(),
                    target: None,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "neg_sibling",
            expect: Expect::Clear,
            make: |rng, r, t| {
                let p = &r.people[t];
                let o = rng.pick(&r.people);
                if related_any(&o.given, &p.given) || near_namesake(r, &o.given, &p.family, p.dob) {
                    return None;
                }
                let d = Date::new(
                    p.dob.year + if rng.chance(0.5) { 1 } else { -1 } * (2 + rng.below(8) as i32),
                    1 + rng.below(12) as u8,
                    1 + rng.below(28) as u8,
                );
                (valid(d)
                    && plainly_different(d, p.dob)
                    && !near_namesake(r, &o.given, &p.family, d))
                .then(|| Query {
                    given: o.given.clone(),
                    dob: Some(d),
                    target: None,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "neg_twin",
            expect: Expect::Clear,
            make: |rng, r, t| {
                let p = &r.people[t];
                let o = rng.pick(&r.people);
                if related_any(&o.given, &p.given) || near_namesake(r, &o.given, &p.family, p.dob) {
                    return None;
                }
                Some(Query {
                    given: o.first_given(),
                    target: None,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "neg_hyphen_part_other_given",
            expect: Expect::Clear,
            make: |rng, r, t| {
                let p = &r.people[t];
                if !has_complex_family(p) {
                    return None;
                }
                let o = rng.pick(&r.people);
                if related_any(&o.given, &p.given) || near_namesake(r, &o.given, &p.family, p.dob) {
                    return None;
                }
                let parts: Vec<&str> = p
                    .family
                    .split(|c: char| c == '-' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .collect();
                Some(Query {
                    given: o.first_given(),
                    family: (*rng.pick(&parts)).to_string(),
                    target: None,
                    ..Query::of(p, t)
                })
            },
        },
        Kind {
            name: "neg_common_name_flood",
            expect: Expect::Clear,
            make: |rng, r, _| {
                const COMMON: &[(&str, &str)] = &[
                    ("John", "Smith"),
                    ("David", "Jones"),
                    ("Sarah", "Williams"),
                    ("Mohammed", "Khan"),
                    ("James", "Taylor"),
                    ("Claire", "Brown"),
                    ("Mark", "Wilson"),
                ];
                let (g, f) = *rng.pick(COMMON);
                let d = rng.date();
                // Plainly different from every listed person of that name (or a form of it).
                let near = r.people.iter().any(|p| {
                    (p.first_given() == g || related_given(&p.first_given(), g))
                        && p.family == f
                        && !plainly_different(p.dob, d)
                });
                (!near).then(|| Query {
                    given: g.to_string(),
                    family: f.to_string(),
                    dob: Some(d),
                    prev: vec![],
                    target: None,
                })
            },
        },
    ]
}

#[derive(Default)]
struct Tally {
    total: usize,
    flagged: usize,
    decided: usize,
    keys: usize,
    candidates: usize,
    failures: Vec<String>,
}

#[test]
fn variation_kinds_meet_the_bars() {
    let mut rng = Rng(0x5EED_2025_0003);
    let base = load();
    let extra = extras(&mut rng, &base);
    let mut people = base;
    people.extend(extra);
    let reg = Registry::new(people);
    let postings: usize = reg.index.values().map(Vec::len).sum();
    println!(
        "index: {} people, {:.1} keys a person, {} distinct keys, longest posting list {}",
        reg.people.len(),
        postings as f64 / reg.people.len() as f64,
        reg.index.len(),
        reg.index.values().map(Vec::len).max().unwrap_or(0)
    );
    let mut table: BTreeMap<usize, (&str, Expect, Tally)> = BTreeMap::new();
    for (ki, kind) in kinds().into_iter().enumerate() {
        let mut tally = Tally::default();
        let mut attempts = 0;
        while tally.total < PER_KIND && attempts < PER_KIND * 200 {
            attempts += 1;
            let t = rng.below(reg.people.len());
            let Some(q) = (kind.make)(&mut rng, &reg, t) else {
                continue;
            };
            let prepared = q.prepared();
            let (outcome, nkeys, ncands, hits) = reg.check(&prepared);
            tally.total += 1;
            tally.keys += nkeys;
            tally.candidates += ncands;
            let flagged = outcome != Outcome::Clear;
            let decided = q.target.is_some_and(|t| {
                outcome
                    == if reg.people[t].barred {
                        Outcome::Barred
                    } else {
                        Outcome::UnderInvestigation
                    }
            });
            tally.flagged += usize::from(flagged);
            tally.decided += usize::from(decided);
            let failed = match kind.expect {
                Expect::Strong => !decided,
                Expect::Flag => !flagged,
                Expect::Clear => flagged,
            };
            if failed && tally.failures.len() < 12 {
                let against = match q.target {
                    Some(t) => {
                        let p = &reg.people[t];
                        let m = compare(&prepared, &reg.prepared[t], &MatchConfig::default());
                        format!(
                            "target {:?} {:?} {} prev {:?}: {:?}",
                            p.given,
                            p.family,
                            p.dob,
                            p.prev,
                            m.map(|m| (m.strength, m.score, m.reasons))
                        )
                    }
                    None => hits
                        .iter()
                        .map(|(c, s)| {
                            let p = &reg.people[*c];
                            let m = compare(&prepared, &reg.prepared[*c], &MatchConfig::default());
                            format!(
                                "hit {:?} {:?} {} {s:?}: {:?}",
                                p.given,
                                p.family,
                                p.dob,
                                m.map(|m| m.reasons)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                };
                tally.failures.push(format!(
                    "  query {:?} {:?} {:?} prev {:?} -> {outcome:?}; {against}",
                    q.given,
                    q.family,
                    q.dob.map(|d| d.to_string()),
                    q.prev
                ));
            }
        }
        table.insert(ki, (kind.name, kind.expect, tally));
    }
    println!(
        "{:<42} {:>6} {:>8} {:>8} {:>6}  {:>6} {:>6}",
        "kind", "expect", "flagged", "decided", "total", "keys", "cands"
    );
    let mut bad = Vec::new();
    let (mut all_keys, mut all_cands, mut all_n) = (0, 0, 0);
    for (name, expect, t) in table.values() {
        let n = t.total.max(1) as f64;
        println!(
            "{:<42} {:>6} {:>8} {:>8} {:>6}  {:>6.1} {:>6.1}",
            name,
            format!("{expect:?}"),
            t.flagged,
            t.decided,
            t.total,
            t.keys as f64 / n,
            t.candidates as f64 / n
        );
        all_keys += t.keys;
        all_cands += t.candidates;
        all_n += t.total;
        let ok = match expect {
            Expect::Strong => t.flagged as f64 / n >= 0.99 && t.decided as f64 / n >= 0.98,
            Expect::Flag => t.flagged as f64 / n >= 0.99,
            Expect::Clear => t.flagged as f64 / n <= 0.005,
        };
        if !ok || !t.failures.is_empty() {
            for f in &t.failures {
                println!("{f}");
            }
        }
        if !ok {
            bad.push(*name);
        }
        assert!(t.total >= PER_KIND / 2, "{name}: only {} queries", t.total);
    }
    println!(
        "mean query keys {:.1}, mean candidates {:.1} over {all_n} checks",
        all_keys as f64 / all_n.max(1) as f64,
        all_cands as f64 / all_n.max(1) as f64
    );
    assert!(bad.is_empty(), "kinds below their bar: {bad:?}");
}

#[test]
fn british_short_forms_are_known() {
    let fold = |s: &str| vetting::matching::normalise::normalise_name_part(s);
    let missing: Vec<String> = NICKNAMES
        .iter()
        .filter(|(f, s)| !vetting::matching::nicknames::are_forms(&fold(f), &fold(s)))
        .map(|(f, s)| format!("{f}/{s}"))
        .collect();
    assert!(missing.is_empty(), "not known as forms: {missing:?}");
}
