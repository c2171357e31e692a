//! Deterministic, realistic CRM sample data for `kith demo`, the benchmark and tests.
//!
//! A [`Sample`] is seeded with a `u64`; the same seed (and the same "today") always gives
//! the same rows. Rows are `(field key, text)` pairs for the standard objects, written
//! as a user would type them, so they go through [`kith_core::Workspace::parse_values`]
//! or a CSV import unchanged:
//!
//! * people: name, email (unique: `first.last@company-domain`, numbered on collision),
//!   phone, job_title, company (the company's name), city, country, linkedin, birthday,
//!   lead_source;
//! * companies: name (unique), domain, industry, employees, annual_revenue
//!   (`"1250000 EUR"`), city, country;
//! * deals: name, amount, stage (the first six deals cover every stage of the pipeline),
//!   close_date, probability, company, contacts, owner;
//! * tasks: title, due, done, assignee, priority, related;
//! * notes: title, body, related.
//!
//! No `rand`: a SplitMix64 generator is plenty for sample data and never changes
//! under us.

use std::collections::HashSet;
use std::io::Write;

mod vocabulary;

use vocabulary::*;

/// One row: `(field key, text value)` pairs.
pub type Fields = Vec<(String, String)>;

/// The pipeline stages of the standard `deals.stage` field, in order.
pub const DEAL_STAGES: [&str; 6] = ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"];

/// The options of `people.lead_source`.
pub const LEAD_SOURCES: [&str; 5] = ["Website", "Referral", "Event", "Cold outreach", "Partner"];

/// The options of `companies.industry`.
pub const INDUSTRIES: [&str; 6] = [
    "Software",
    "Manufacturing",
    "Retail",
    "Healthcare",
    "Finance",
    "Logistics",
];

/// The options of `tasks.priority`.
pub const PRIORITIES: [&str; 3] = ["Low", "Medium", "High"];

/// The fields of a generated person, in CSV column order.
pub const PEOPLE_FIELDS: [&str; 10] = [
    "name",
    "email",
    "phone",
    "job_title",
    "company",
    "city",
    "country",
    "linkedin",
    "birthday",
    "lead_source",
];

/// 2025-06-01, the default "today" of a [`Sample`] (days since 1970-01-01).
pub const DEFAULT_TODAY: i32 = 20_240;

/// SplitMix64: small, fast, and good enough for sample data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        low + self.below((high - low) as u64 + 1) as i64
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A random one of a non-empty list of words.
    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        self.pick::<&'static str>(items)
    }

    /// A random element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A generated company: what people and deals need to refer to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Unique among the companies of one [`Sample`].
    pub name: String,
    pub domain: String,
    pub city: String,
    pub country: String,
    /// The ISO 4217 code of the company's money.
    pub currency: String,
}

/// A deterministic generator of sample rows.
#[derive(Debug, Clone)]
pub struct Sample {
    rng: Rng,
    today: i32,
    emails: HashSet<String>,
    company_names: HashSet<String>,
    domains: HashSet<String>,
    deals: usize,
}

impl Sample {
    /// A generator whose "today" is [`DEFAULT_TODAY`].
    pub fn new(seed: u64) -> Self {
        Self::with_today(seed, DEFAULT_TODAY)
    }

    /// A generator whose dates (close dates, due dates) are around `today` (days since
    /// 1970-01-01).
    pub fn with_today(seed: u64, today: i32) -> Self {
        Sample {
            rng: Rng::new(seed),
            today,
            emails: HashSet::new(),
            company_names: HashSet::new(),
            domains: HashSet::new(),
            deals: 0,
        }
    }

    /// The random numbers behind this sample.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// A new company with a unique name, and its row.
    pub fn company(&mut self) -> (Company, Fields) {
        let place = self.rng.pick(&PLACES);
        let (kind, industry) = *self.rng.pick(&COMPANY_KINDS);
        let mut base = format!("{} {kind}", self.rng.pick(&COMPANY_WORDS));
        let mut tries = 0;
        while self.company_names.contains(&base) && tries < 20 {
            base = format!("{} {kind}", self.rng.pick(&COMPANY_WORDS));
            tries += 1;
        }
        let mut name = base.clone();
        let mut n = 2;
        while self.company_names.contains(&name) {
            name = format!("{base} {n}");
            n += 1;
        }
        self.company_names.insert(name.clone());
        let display = if self.rng.chance(50) {
            format!("{name} {}", place.legal)
        } else {
            name.clone()
        };

        let slug = slug(&name, "");
        let mut domain = format!("{slug}.{}", place.tld);
        let mut n = 2;
        while self.domains.contains(&domain) {
            domain = format!("{slug}{n}.{}", place.tld);
            n += 1;
        }
        self.domains.insert(domain.clone());

        // Employees: mostly small companies, a few large ones.
        let employees = match self.rng.below(10) {
            0..=4 => self.rng.range(5, 80),
            5..=7 => self.rng.range(80, 800),
            8 => self.rng.range(800, 5_000),
            _ => self.rng.range(5_000, 60_000),
        };
        let per_employee = self.rng.range(60, 320) * 1_000;
        let revenue = round_to(employees * per_employee * units_per_euro(place.currency), 10_000);
        let company = Company {
            name: display,
            domain: domain.clone(),
            city: place.city.to_string(),
            country: place.country.to_string(),
            currency: place.currency.to_string(),
        };
        let fields = vec![
            kv("name", &company.name),
            kv("domain", &domain),
            kv("industry", industry),
            kv("employees", &employees.to_string()),
            kv("annual_revenue", &format!("{revenue} {}", place.currency)),
            kv("city", place.city),
            kv("country", place.country),
        ];
        (company, fields)
    }

    /// A person's row, working at `company` (whose name is the `company` value) when
    /// given. The email is unique among the people of this sample.
    pub fn person(&mut self, company: Option<&Company>) -> Fields {
        let first = self.rng.pick_str(&FIRST_NAMES);
        let last = self.rng.pick_str(&LAST_NAMES);
        let name = format!("{first} {last}");
        let (city, country, dial) = match company {
            Some(c) if self.rng.chance(75) => {
                let dial = PLACES.iter().find(|p| p.country == c.country).map_or("1", |p| p.dial);
                (c.city.clone(), c.country.clone(), dial)
            }
            _ => {
                let p = self.rng.pick(&PLACES);
                (p.city.to_string(), p.country.to_string(), p.dial)
            }
        };
        let domain = match company {
            Some(c) => c.domain.clone(),
            None => self.rng.pick(&FREE_MAIL).to_string(),
        };
        let local = match self.rng.below(4) {
            0 => format!("{}{}", initial(first), slug(last, "")),
            _ => format!("{}.{}", slug(first, ""), slug(last, "")),
        };
        let mut email = format!("{local}@{domain}");
        let mut n = 2;
        while self.emails.contains(&email) {
            email = format!("{local}{n}@{domain}");
            n += 1;
        }
        self.emails.insert(email.clone());
        let phone = format!(
            "+{dial} {} {:03} {:04}",
            self.rng.range(20, 99),
            self.rng.below(1000),
            self.rng.below(10_000)
        );
        let linkedin = format!(
            "https://www.linkedin.com/in/{}-{}-{:04x}",
            slug(first, ""),
            slug(last, "-"),
            self.rng.below(0x10000)
        );
        let birthday = kith_core::time_fmt::format_date(
            self.rng
                .range(days_from_civil(1955, 1, 1), days_from_civil(2003, 12, 31)) as i32,
        );

        let mut fields = vec![kv("name", &name), kv("email", &email), kv("phone", &phone)];
        fields.push(kv("job_title", self.rng.pick_str(&JOB_TITLES)));
        fields.push(kv("company", company.map_or("", |c| c.name.as_str())));
        fields.push(kv("city", &city));
        fields.push(kv("country", &country));
        fields.push(kv("linkedin", &linkedin));
        fields.push(kv("birthday", &birthday));
        fields.push(kv("lead_source", self.rng.pick_str(&LEAD_SOURCES)));
        fields
    }

    /// A deal's row, with `company` (by its unique name) and `contacts` (people's record
    /// ids, or names that are unique). The first six deals of a sample cover every stage
    /// of [`DEAL_STAGES`]; later ones follow a realistic funnel.
    pub fn deal(&mut self, company: Option<&Company>, contacts: &[String]) -> Fields {
        let stage = if self.deals < DEAL_STAGES.len() {
            DEAL_STAGES[self.deals]
        } else {
            // Lead 25 %, Qualified 20 %, Proposal 15 %, Negotiation 10 %, Won 18 %, Lost 12 %.
            match self.rng.below(100) {
                0..=24 => "Lead",
                25..=44 => "Qualified",
                45..=59 => "Proposal",
                60..=69 => "Negotiation",
                70..=87 => "Won",
                _ => "Lost",
            }
        };
        self.deals += 1;
        let probability = match stage {
            "Lead" => 10,
            "Qualified" => 25,
            "Proposal" => 50,
            "Negotiation" => 75,
            "Won" => 100,
            _ => 0,
        };
        // Closed deals closed in the past, open ones close in the coming months.
        let close = match stage {
            "Won" | "Lost" => self.today - self.rng.range(3, 300) as i32,
            _ => self.today + self.rng.range(7, 200) as i32,
        };
        let product = self.rng.pick_str(&PRODUCTS);
        let name = match company {
            Some(c) => format!("{} – {product}", c.name),
            None => product.to_string(),
        };
        let currency = company.map_or("EUR", |c| c.currency.as_str());
        let amount = round_to(self.rng.range(2_000, 250_000) * units_per_euro(currency), 500);
        let mut fields = vec![
            kv("name", &name),
            kv("amount", &format!("{amount} {currency}")),
            kv("stage", stage),
            kv("close_date", &kith_core::time_fmt::format_date(close)),
            kv("probability", &format!("{probability}%")),
        ];
        if let Some(c) = company {
            fields.push(kv("company", &c.name));
        }
        if !contacts.is_empty() {
            fields.push(kv("contacts", &contacts.join("; ")));
        }
        fields.push(kv("owner", self.rng.pick_str(&OWNERS)));
        fields
    }

    /// A task about `about` (a person's, company's or deal's name), related to the
    /// record id `related` when given.
    pub fn task(&mut self, about: &str, related: Option<&str>) -> Fields {
        let title = self.rng.pick(&TASK_TEMPLATES).replace("{}", about);
        let due = self.today + self.rng.range(-20, 45) as i32;
        // Tasks due in the past are mostly done.
        let done = if due < self.today {
            self.rng.chance(70)
        } else {
            self.rng.chance(10)
        };
        let mut fields = vec![
            kv("title", &title),
            kv("due", &kith_core::time_fmt::format_date(due)),
            kv("done", if done { "yes" } else { "no" }),
            kv("assignee", self.rng.pick_str(&OWNERS)),
            kv("priority", self.rng.pick_str(&PRIORITIES)),
        ];
        if let Some(r) = related {
            fields.push(kv("related", r));
        }
        fields
    }

    /// A note about `about`, related to the record ids `related`.
    pub fn note(&mut self, about: &str, related: &[String]) -> Fields {
        let title = format!("{} – {about}", self.rng.pick(&NOTE_TITLES));
        let count = self.rng.range(2, 4) as usize;
        let mut sentences: Vec<&str> = Vec::with_capacity(count);
        while sentences.len() < count {
            let s = self.rng.pick_str(&NOTE_SENTENCES);
            if !sentences.contains(&s) {
                sentences.push(s);
            }
        }
        let mut fields = vec![
            kv("title", &title),
            kv("body", &format!("Spoke with {about}. {}", sentences.join(" "))),
        ];
        if !related.is_empty() {
            fields.push(kv("related", &related.join("; ")));
        }
        fields
    }
}

/// `count` companies from a sample seeded with `seed`.
pub fn companies(seed: u64, count: usize) -> Vec<(Company, Fields)> {
    let mut sample = Sample::new(seed);
    (0..count).map(|_| sample.company()).collect()
}

/// Writes `count` people as CSV (header: [`PEOPLE_FIELDS`]) to `out`. About 85 % work at
/// one of `companies` (named in the `company` column; import those companies first);
/// the `company` column is empty for the others, and for everyone when `companies` is
/// empty.
pub fn write_people_csv<W: Write>(out: W, seed: u64, count: usize, companies: &[Company]) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(PEOPLE_FIELDS)?;
    let mut sample = Sample::new(seed);
    let mut cells: Vec<String> = Vec::with_capacity(PEOPLE_FIELDS.len());
    for _ in 0..count {
        let company = if !companies.is_empty() && sample.rng.chance(85) {
            Some(sample.rng.pick(companies).clone())
        } else {
            None
        };
        let row = sample.person(company.as_ref());
        cells.clear();
        for key in PEOPLE_FIELDS {
            cells.push(value_of(&row, key).unwrap_or_default().to_string());
        }
        writer.write_record(&cells)?;
    }
    writer.flush()?;
    Ok(())
}

/// The value of `key` in a row.
pub fn value_of<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn kv(key: &str, value: &str) -> (String, String) {
    (key.to_string(), value.to_string())
}

fn round_to(n: i64, step: i64) -> i64 {
    ((n + step / 2) / step).max(1) * step
}

/// Lowercase ASCII letters and digits of `s` (accents dropped: "Müller" → "muller");
/// other characters become `sep` (collapsed, never leading or trailing).
fn slug(s: &str, sep: &str) -> String {
    let folded = kith_core::text::fold(s);
    let mut out = String::with_capacity(folded.len());
    let mut pending = false;
    // Letters that do not decompose into a base letter and an accent.
    let plain = folded.chars().flat_map(|c| {
        let s: &[char] = match c {
            'ø' => &['o'],
            'æ' => &['a', 'e'],
            'œ' => &['o', 'e'],
            'ß' => &['s', 's'],
            'ł' => &['l'],
            'đ' => &['d'],
            'ı' => &['i'],
            _ => return vec![c],
        };
        s.to_vec()
    });
    for c in plain {
        if c.is_ascii_alphanumeric() {
            if pending && !out.is_empty() {
                out.push_str(sep);
            }
            pending = false;
            out.push(c);
        } else if c.is_whitespace() || c == '-' {
            pending = true;
        }
        // Other characters (apostrophes, letters outside ASCII) are dropped.
    }
    if out.is_empty() { "x".to_string() } else { out }
}

fn initial(first: &str) -> String {
    slug(first, "").chars().take(1).collect()
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_civil_matches_the_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2025, 6, 1), i64::from(DEFAULT_TODAY));
        assert_eq!(
            kith_core::time_fmt::format_date(days_from_civil(1955, 3, 14) as i32),
            "1955-03-14"
        );
    }

    #[test]
    fn slugs_are_plain_ascii() {
        assert_eq!(slug("Müller", ""), "muller");
        assert_eq!(slug("O'Brien", ""), "obrien");
        assert_eq!(slug("de Vries", "-"), "de-vries");
        assert_eq!(slug("Nguyễn", ""), "nguyen");
        assert_eq!(slug("Søren", ""), "soren");
        assert_eq!(slug("Yılmaz", ""), "yilmaz");
        assert_eq!(slug("Paweł", ""), "pawel");
    }
}
