//! The words sample data is made of: names, places, companies, products, notes.

#[rustfmt::skip]
pub(super) const FIRST_NAMES: [&str; 100] = [
    "Anna", "Zoë", "José", "Liam", "Olivia", "Noah", "Emma", "Lukas", "Mia", "Mateo", "Sofía", "Hiroshi", "Yuki",
    "Wei", "Mei", "Aarav", "Priya", "Fatima", "Omar", "Amira", "Chloé", "Léa", "Hugo", "Élodie", "François", "Björn",
    "Astrid", "Søren", "Ingrid", "Mikael", "Jörg", "Jürgen", "Renée", "Siobhán", "Seán", "Niamh", "Aoife", "Kwame",
    "Amara", "Chinedu", "Thandiwe", "Sipho", "Ngozi", "Dmitri", "Olga", "Katarzyna", "Paweł", "Zuzana", "Tomáš",
    "Ana", "João", "Inês", "Luís", "Giulia", "Marco", "Francesca", "Lorenzo", "Elif", "Mehmet", "Ayşe", "Can", "Nour",
    "Youssef", "Leila", "Arjun", "Ananya", "Rohan", "Sakura", "Haruto", "Minjun", "Seoyeon", "Jiho", "Linh", "Minh",
    "Thảo", "Camila", "Valentina", "Diego", "Martín", "Lucía", "Sebastián", "Isabella", "Ethan", "Ava", "James",
    "Charlotte", "Benjamin", "Amelia", "Oscar", "Freya", "Matteo", "Nina", "David", "Sarah", "Daniel", "Laura",
    "Samuel", "Hannah", "Ibrahim", "Aisha",
];

#[rustfmt::skip]
pub(super) const LAST_NAMES: [&str; 100] = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter",
    "García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Rodríguez", "Silva", "Santos",
    "Oliveira", "Pereira", "Costa", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Martin", "Bernard",
    "Dubois", "Thomas", "Robert", "Lefèvre", "Moreau", "Laurent", "Girard", "Smith", "Johnson", "Williams", "Brown",
    "Jones", "Miller", "Davis", "Wilson", "Taylor", "Anderson", "O'Brien", "Murphy", "Kelly", "Walsh", "Nowak",
    "Kowalski", "Wiśniewski", "Dvořák", "Novák", "Horváth", "Nagy", "Ivanov", "Petrov", "Smirnova", "Jansen",
    "de Vries", "van Dijk", "Bakker", "Andersson", "Johansson", "Nilsson", "Hansen", "Jensen", "Nielsen", "Virtanen",
    "Korhonen", "Yılmaz", "Kaya", "Demir", "Haddad", "Khalil", "Mansour", "Okafor", "Adeyemi", "Mensah", "Nkosi",
    "Dlamini", "Sato", "Suzuki", "Takahashi", "Tanaka", "Kim", "Lee", "Park", "Wang", "Li", "Zhang", "Chen", "Nguyễn",
    "Trần", "Patel", "Sharma",
];

pub(super) const JOB_TITLES: [&str; 30] = [
    "CEO",
    "CTO",
    "CFO",
    "COO",
    "Founder",
    "Head of Sales",
    "Account Executive",
    "Sales Manager",
    "Business Development Manager",
    "Marketing Manager",
    "Head of Marketing",
    "Product Manager",
    "Senior Product Manager",
    "Software Engineer",
    "Engineering Manager",
    "VP Engineering",
    "Data Analyst",
    "Designer",
    "Customer Success Manager",
    "Office Manager",
    "Procurement Lead",
    "Operations Manager",
    "HR Business Partner",
    "Finance Controller",
    "Purchasing Manager",
    "IT Manager",
    "Consultant",
    "Head of Partnerships",
    "Project Manager",
    "Managing Director",
];

/// A place: city, country, top-level domain, phone country code, currency, the usual
/// legal form of a company there.
pub(super) struct Place {
    pub(super) city: &'static str,
    pub(super) country: &'static str,
    pub(super) tld: &'static str,
    pub(super) dial: &'static str,
    pub(super) currency: &'static str,
    pub(super) legal: &'static str,
}

pub(super) const fn place(
    city: &'static str,
    country: &'static str,
    tld: &'static str,
    dial: &'static str,
    currency: &'static str,
    legal: &'static str,
) -> Place {
    Place {
        city,
        country,
        tld,
        dial,
        currency,
        legal,
    }
}

/// Roughly how many units of `currency` make one euro, so amounts look plausible.
pub(super) fn units_per_euro(currency: &str) -> i64 {
    match currency {
        "SEK" | "DKK" => 10,
        "PLN" => 4,
        "CZK" => 25,
        "BRL" => 6,
        "MXN" => 20,
        "JPY" => 160,
        "KRW" => 1_500,
        "INR" => 90,
        "NGN" => 1_600,
        _ => 1,
    }
}

pub(super) const PLACES: [Place; 32] = [
    place("Berlin", "Germany", "de", "49", "EUR", "GmbH"),
    place("München", "Germany", "de", "49", "EUR", "GmbH"),
    place("Hamburg", "Germany", "de", "49", "EUR", "GmbH"),
    place("Köln", "Germany", "de", "49", "EUR", "GmbH"),
    place("Paris", "France", "fr", "33", "EUR", "SAS"),
    place("Lyon", "France", "fr", "33", "EUR", "SAS"),
    place("Madrid", "Spain", "es", "34", "EUR", "S.L."),
    place("Barcelona", "Spain", "es", "34", "EUR", "S.L."),
    place("Lisboa", "Portugal", "pt", "351", "EUR", "Lda."),
    place("Milano", "Italy", "it", "39", "EUR", "S.p.A."),
    place("Roma", "Italy", "it", "39", "EUR", "S.p.A."),
    place("Amsterdam", "Netherlands", "nl", "31", "EUR", "B.V."),
    place("Zürich", "Switzerland", "ch", "41", "CHF", "AG"),
    place("Wien", "Austria", "at", "43", "EUR", "GmbH"),
    place("Stockholm", "Sweden", "se", "46", "SEK", "AB"),
    place("København", "Denmark", "dk", "45", "DKK", "ApS"),
    place("Helsinki", "Finland", "fi", "358", "EUR", "Oy"),
    place("Warszawa", "Poland", "pl", "48", "PLN", "sp. z o.o."),
    place("Praha", "Czechia", "cz", "420", "CZK", "s.r.o."),
    place("Dublin", "Ireland", "ie", "353", "EUR", "Ltd"),
    place("London", "United Kingdom", "co.uk", "44", "GBP", "Ltd"),
    place("Manchester", "United Kingdom", "co.uk", "44", "GBP", "Ltd"),
    place("New York", "United States", "com", "1", "USD", "Inc."),
    place("San Francisco", "United States", "com", "1", "USD", "Inc."),
    place("Austin", "United States", "com", "1", "USD", "Inc."),
    place("Toronto", "Canada", "ca", "1", "CAD", "Inc."),
    place("São Paulo", "Brazil", "com.br", "55", "BRL", "Ltda."),
    place("Ciudad de México", "Mexico", "com.mx", "52", "MXN", "S.A. de C.V."),
    place("Tokyo", "Japan", "jp", "81", "JPY", "K.K."),
    place("Seoul", "South Korea", "kr", "82", "KRW", "Corp."),
    place("Bengaluru", "India", "in", "91", "INR", "Pvt. Ltd."),
    place("Lagos", "Nigeria", "ng", "234", "NGN", "Ltd"),
];

#[rustfmt::skip]
pub(super) const COMPANY_WORDS: [&str; 60] = [
    "Acme", "Nordwind", "Bluehaven", "Silverline", "Brightpath", "Ironwood", "Kestrel", "Lumen", "Meridian",
    "Northstar", "Oakridge", "Pinecrest", "Quantix", "Redwood", "Sequoia", "Tidewater", "Umbra", "Vantage",
    "Westbrook", "Zenith", "Alpenglow", "Bergmann", "Cobalt", "Delphi", "Evergreen", "Falkner", "Granite", "Horizon",
    "Isar", "Juniper", "Kranich", "Lindgren", "Montclair", "Nimbus", "Orion", "Polaris", "Quill", "Rhein", "Solstice",
    "Tessera", "Ursa", "Velox", "Willow", "Xylo", "Yarrow", "Zephyr", "Aurora", "Beacon", "Cascade", "Driftwood",
    "Ember", "Fjord", "Glacier", "Harbor", "Indigo", "Jasper", "Kite", "Lighthouse", "Mosaic", "Sakura",
];

/// Second words of company names, with the industry they suggest.
pub(super) const COMPANY_KINDS: [(&str, &str); 24] = [
    ("Software", "Software"),
    ("Labs", "Software"),
    ("Analytics", "Software"),
    ("Cloud", "Software"),
    ("Systems", "Software"),
    ("Digital", "Software"),
    ("Robotics", "Manufacturing"),
    ("Werke", "Manufacturing"),
    ("Industries", "Manufacturing"),
    ("Components", "Manufacturing"),
    ("Retail", "Retail"),
    ("Outfitters", "Retail"),
    ("Market", "Retail"),
    ("Stores", "Retail"),
    ("Health", "Healthcare"),
    ("Medical", "Healthcare"),
    ("Clinics", "Healthcare"),
    ("Capital", "Finance"),
    ("Bank", "Finance"),
    ("Insurance", "Finance"),
    ("Logistics", "Logistics"),
    ("Freight", "Logistics"),
    ("Shipping", "Logistics"),
    ("Transport", "Logistics"),
];

pub(super) const FREE_MAIL: [&str; 6] = [
    "gmail.com",
    "outlook.com",
    "proton.me",
    "posteo.de",
    "yahoo.fr",
    "icloud.com",
];

pub(super) const OWNERS: [&str; 6] = [
    "Maya Chen",
    "Jonas Weber",
    "Inès Moreau",
    "Sam Okafor",
    "Lucía Romero",
    "Kenji Sato",
];

pub(super) const PRODUCTS: [&str; 12] = [
    "Platform license",
    "Annual subscription",
    "Pilot project",
    "Expansion",
    "Renewal",
    "Onboarding package",
    "Enterprise plan",
    "Support contract",
    "Data migration",
    "Team seats",
    "Integration project",
    "Consulting retainer",
];

pub(super) const TASK_TEMPLATES: [&str; 10] = [
    "Call {}",
    "Send proposal to {}",
    "Follow up with {}",
    "Prepare demo for {}",
    "Schedule meeting with {}",
    "Send contract to {}",
    "Check in with {}",
    "Review pricing for {}",
    "Ask {} for a referral",
    "Update notes on {}",
];

pub(super) const NOTE_TITLES: [&str; 8] = [
    "Intro call",
    "Discovery call",
    "Demo feedback",
    "Pricing discussion",
    "Quarterly review",
    "Meeting notes",
    "Lunch chat",
    "Support escalation",
];

pub(super) const NOTE_SENTENCES: [&str; 16] = [
    "They are evaluating three vendors and want a decision before the end of the quarter.",
    "Budget is approved, but procurement needs a security questionnaire first.",
    "The team loved the reporting features; exports to their BI tool are a must.",
    "Main concern is the migration from their current spreadsheet setup.",
    "Decision maker is the CFO; our champion will set up a call next week.",
    "They asked for a discount on a two-year commitment.",
    "Current contract with a competitor ends in the autumn.",
    "Wants references from a customer in the same industry.",
    "Onboarding went well; next step is rolling out to the sales team.",
    "Mentioned plans to open an office abroad next year.",
    "Asked whether the data can stay on their own servers.",
    "Send the case study and the updated price sheet.",
    "Very responsive by email, hard to reach by phone.",
    "Follow up after the trade fair; they will have more time then.",
    "Legal needs to review the data processing agreement.",
    "Happy with support response times so far.",
];
