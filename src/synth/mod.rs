//! Synthetic rural microloan applications (`microscore synth`).
//!
//! Real microloan portfolios are private, so microscore ships a generator of realistic synthetic
//! applications from rural small businesses and startups. The demo, the tests and the benchmarks
//! all use it. The data-generating process is documented column by column, with the formula of the
//! log-odds of default, in `docs/synthetic-data.md`; [`COLUMNS`] is the machine-readable version
//! of that table (names, kinds and ranges) and the tests hold every generated value to it.
//!
//! # Determinism
//! Row `i` of a file generated with seed `s` depends on `(s, i)` only: each row draws from its
//! own random stream, seeded by a SplitMix64 hash of the pair. The bytes written are therefore
//! the same for a given `(rows, seed)` whatever the number of threads, and a row can be
//! regenerated alone ([`application`]). Transcendental functions come from the pure-Rust `libm`
//! crate rather than the platform's C library, so the output does not depend on the machine's libm.
//!
//! # Gender
//! `gender` is a protected attribute. It shapes which business an applicant runs (as it does in
//! the surveys the process is modelled on), but it never enters the default process directly:
//! the log-odds are computed by [`log_odds`] from a [`RiskFactors`] value, which has no gender
//! field, so the absence of a direct effect is enforced by the type, and the tests check that
//! bad rates by gender agree within each business type.

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::format::FileFormat;

/// Errors raised while generating synthetic applications.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// Writing the output failed.
    #[error("cannot write synthetic applications: {0}")]
    Io(#[from] std::io::Error),
    /// The format is not one the generator writes.
    #[error("the generator writes csv or jsonl, not {0}")]
    Format(FileFormat),
}

/// Provinces, in the order of `PROVINCE_WEIGHTS`.
pub const PROVINCES: [&str; 12] = [
    "Henan", "Shandong", "Sichuan", "Hebei", "Hunan", "Anhui", "Yunnan", "Guizhou", "Guangxi",
    "Gansu", "Jiangxi", "Zhejiang",
];
const PROVINCE_WEIGHTS: [f64; 12] = [
    12.0, 10.0, 10.0, 9.0, 8.0, 8.0, 8.0, 7.0, 7.0, 6.0, 7.0, 8.0,
];
/// Mean county remoteness (1 = peri-urban, 5 = remote mountain county) per province.
const PROVINCE_REMOTENESS: [f64; 12] = [2.4, 2.2, 3.1, 2.5, 2.8, 2.6, 3.5, 3.6, 3.2, 3.7, 2.8, 1.8];
/// Regional economic conditions, a log-odds shift per province.
const PROVINCE_EFFECT: [f64; 12] = [
    0.0, -0.10, 0.05, 0.05, 0.0, 0.0, 0.15, 0.20, 0.10, 0.20, 0.05, -0.15,
];

/// The nine rural business types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum BusinessType {
    CropFarming,
    Livestock,
    Aquaculture,
    EcommerceShop,
    Handicraft,
    AgriProcessing,
    VillageRetail,
    Transport,
    RuralTourism,
}

impl BusinessType {
    /// Every business type, in a fixed order.
    pub const ALL: [BusinessType; 9] = [
        BusinessType::CropFarming,
        BusinessType::Livestock,
        BusinessType::Aquaculture,
        BusinessType::EcommerceShop,
        BusinessType::Handicraft,
        BusinessType::AgriProcessing,
        BusinessType::VillageRetail,
        BusinessType::Transport,
        BusinessType::RuralTourism,
    ];

    /// The value written in the `business_type` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            BusinessType::CropFarming => "crop_farming",
            BusinessType::Livestock => "livestock",
            BusinessType::Aquaculture => "aquaculture",
            BusinessType::EcommerceShop => "ecommerce_shop",
            BusinessType::Handicraft => "handicraft",
            BusinessType::AgriProcessing => "agri_processing",
            BusinessType::VillageRetail => "village_retail",
            BusinessType::Transport => "transport",
            BusinessType::RuralTourism => "rural_tourism",
        }
    }

    /// Typical monthly revenue in CNY (the median of the log-normal revenue distribution).
    const fn median_revenue(self) -> f64 {
        match self {
            BusinessType::CropFarming => 4_500.0,
            BusinessType::Livestock => 7_000.0,
            BusinessType::Aquaculture => 9_000.0,
            BusinessType::EcommerceShop => 12_000.0,
            BusinessType::Handicraft => 3_500.0,
            BusinessType::AgriProcessing => 15_000.0,
            BusinessType::VillageRetail => 8_000.0,
            BusinessType::Transport => 7_500.0,
            BusinessType::RuralTourism => 9_000.0,
        }
    }

    /// Typical coefficient of variation of monthly revenue (seasonality).
    const fn volatility(self) -> f64 {
        match self {
            BusinessType::CropFarming => 0.70,
            BusinessType::Livestock => 0.50,
            BusinessType::Aquaculture => 0.60,
            BusinessType::EcommerceShop => 0.35,
            BusinessType::Handicraft => 0.40,
            BusinessType::AgriProcessing => 0.35,
            BusinessType::VillageRetail => 0.20,
            BusinessType::Transport => 0.30,
            BusinessType::RuralTourism => 0.80,
        }
    }

    /// Typical number of mobile-payment transactions a month.
    const fn payment_activity(self) -> f64 {
        match self {
            BusinessType::CropFarming => 20.0,
            BusinessType::Livestock => 30.0,
            BusinessType::Aquaculture => 40.0,
            BusinessType::EcommerceShop => 400.0,
            BusinessType::Handicraft => 60.0,
            BusinessType::AgriProcessing => 100.0,
            BusinessType::VillageRetail => 250.0,
            BusinessType::Transport => 120.0,
            BusinessType::RuralTourism => 150.0,
        }
    }

    /// Probability of running an online store.
    const fn online_store_rate(self) -> f64 {
        match self {
            BusinessType::EcommerceShop => 1.0,
            BusinessType::Handicraft => 0.35,
            BusinessType::RuralTourism => 0.40,
            BusinessType::AgriProcessing => 0.30,
            BusinessType::VillageRetail => 0.15,
            _ => 0.08,
        }
    }

    /// Log-odds shift of the business type in the default process.
    const fn risk(self) -> f64 {
        match self {
            BusinessType::CropFarming => 0.20,
            BusinessType::Livestock => 0.30,
            BusinessType::Aquaculture => 0.35,
            BusinessType::EcommerceShop => -0.10,
            BusinessType::Handicraft => 0.0,
            BusinessType::AgriProcessing => -0.15,
            BusinessType::VillageRetail => -0.20,
            BusinessType::Transport => 0.15,
            BusinessType::RuralTourism => 0.25,
        }
    }

    /// Whether the business is exposed to weather and animal-disease shocks.
    const fn is_agricultural(self) -> bool {
        matches!(
            self,
            BusinessType::CropFarming | BusinessType::Livestock | BusinessType::Aquaculture
        )
    }
}

/// Highest completed education.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Education {
    None,
    Primary,
    JuniorSecondary,
    SeniorSecondary,
    Vocational,
    College,
}

impl Education {
    /// Every level, lowest first.
    pub const ALL: [Education; 6] = [
        Education::None,
        Education::Primary,
        Education::JuniorSecondary,
        Education::SeniorSecondary,
        Education::Vocational,
        Education::College,
    ];

    /// The value written in the `education` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Education::None => "none",
            Education::Primary => "primary",
            Education::JuniorSecondary => "junior_secondary",
            Education::SeniorSecondary => "senior_secondary",
            Education::Vocational => "vocational",
            Education::College => "college",
        }
    }

    const fn level(self) -> f64 {
        match self {
            Education::None => 0.0,
            Education::Primary => 1.0,
            Education::JuniorSecondary => 2.0,
            Education::SeniorSecondary => 3.0,
            Education::Vocational => 3.5,
            Education::College => 4.0,
        }
    }

    const fn risk(self) -> f64 {
        match self {
            Education::None => 0.35,
            Education::Primary => 0.20,
            Education::JuniorSecondary => 0.0,
            Education::SeniorSecondary => -0.15,
            Education::Vocational => -0.20,
            Education::College => -0.35,
        }
    }
}

/// Applicant gender (a protected attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Gender {
    Female,
    Male,
}

impl Gender {
    /// The value written in the `gender` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
        }
    }
}

/// What a column holds, with its documented range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnKind {
    /// A unique identifier, never a feature.
    Id,
    /// The 0/1 label.
    Label,
    /// A protected attribute with its levels: never a feature.
    Protected(&'static [&'static str]),
    /// A categorical feature with its levels.
    Categorical(&'static [&'static str]),
    /// An integer feature in `[min, max]`.
    Integer {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// A real-valued feature in `[min, max]`, written with at most `decimals` decimals.
    Real {
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
        /// Decimals kept when writing.
        decimals: u32,
    },
}

/// One column of the generated file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: &'static str,
    /// Type and range.
    pub kind: ColumnKind,
    /// Whether the column can be empty (missing), and when.
    pub missing_when: Option<&'static str>,
    /// Unit or meaning, for the documentation.
    pub description: &'static str,
}

const BUSINESS_TYPES: [&str; 9] = [
    BusinessType::CropFarming.as_str(),
    BusinessType::Livestock.as_str(),
    BusinessType::Aquaculture.as_str(),
    BusinessType::EcommerceShop.as_str(),
    BusinessType::Handicraft.as_str(),
    BusinessType::AgriProcessing.as_str(),
    BusinessType::VillageRetail.as_str(),
    BusinessType::Transport.as_str(),
    BusinessType::RuralTourism.as_str(),
];
const EDUCATIONS: [&str; 6] = [
    Education::None.as_str(),
    Education::Primary.as_str(),
    Education::JuniorSecondary.as_str(),
    Education::SeniorSecondary.as_str(),
    Education::Vocational.as_str(),
    Education::College.as_str(),
];
const GENDERS: [&str; 2] = [Gender::Female.as_str(), Gender::Male.as_str()];
/// Loan tenors offered, in months.
pub const TENORS: [i64; 6] = [3, 6, 12, 18, 24, 36];
const TENOR_WEIGHTS: [f64; 6] = [0.08, 0.20, 0.35, 0.12, 0.17, 0.08];

/// The columns of a generated file, in order.
pub const COLUMNS: [Column; 25] = [
    Column {
        name: "application_id",
        kind: ColumnKind::Id,
        missing_when: None,
        description: "`A` followed by the 1-based row number, zero-padded to 9 digits",
    },
    Column {
        name: "province",
        kind: ColumnKind::Categorical(&PROVINCES),
        missing_when: None,
        description: "province of the business",
    },
    Column {
        name: "county_remoteness",
        kind: ColumnKind::Integer { min: 1, max: 5 },
        missing_when: None,
        description: "1 = peri-urban county ... 5 = remote mountain county",
    },
    Column {
        name: "business_type",
        kind: ColumnKind::Categorical(&BUSINESS_TYPES),
        missing_when: None,
        description: "main line of business",
    },
    Column {
        name: "applicant_age",
        kind: ColumnKind::Integer { min: 18, max: 70 },
        missing_when: None,
        description: "years",
    },
    Column {
        name: "gender",
        kind: ColumnKind::Protected(&GENDERS),
        missing_when: None,
        description: "protected attribute: never a model feature, no direct effect on default",
    },
    Column {
        name: "education",
        kind: ColumnKind::Categorical(&EDUCATIONS),
        missing_when: None,
        description: "highest completed education",
    },
    Column {
        name: "household_size",
        kind: ColumnKind::Integer { min: 1, max: 10 },
        missing_when: None,
        description: "people in the household",
    },
    Column {
        name: "business_age_months",
        kind: ColumnKind::Integer { min: 0, max: 480 },
        missing_when: None,
        description: "months since the business started; about 45% are startups under 24 months",
    },
    Column {
        name: "monthly_revenue",
        kind: ColumnKind::Real {
            min: 200.0,
            max: 1_000_000.0,
            decimals: 0,
        },
        missing_when: Some("not declared (about 8%; more often for riskier applicants)"),
        description: "average monthly revenue, CNY (log-normal, right-skewed)",
    },
    Column {
        name: "revenue_volatility",
        kind: ColumnKind::Real {
            min: 0.02,
            max: 3.0,
            decimals: 3,
        },
        missing_when: Some("revenue not declared"),
        description: "coefficient of variation of monthly revenue over 12 months (seasonality)",
    },
    Column {
        name: "mobile_payment_txn_monthly",
        kind: ColumnKind::Integer {
            min: 0,
            max: 20_000,
        },
        missing_when: None,
        description: "mobile-payment transactions per month",
    },
    Column {
        name: "online_store_rating",
        kind: ColumnKind::Real {
            min: 1.0,
            max: 5.0,
            decimals: 1,
        },
        missing_when: Some("no online store"),
        description: "customer rating of the online store, 1-5 stars",
    },
    Column {
        name: "land_area_mu",
        kind: ColumnKind::Real {
            min: 0.0,
            max: 500.0,
            decimals: 1,
        },
        missing_when: None,
        description: "land farmed or used, in mu (1 mu = 1/15 hectare)",
    },
    Column {
        name: "existing_loans",
        kind: ColumnKind::Integer { min: 0, max: 8 },
        missing_when: None,
        description: "number of open loans on the credit file",
    },
    Column {
        name: "has_credit_history",
        kind: ColumnKind::Integer { min: 0, max: 1 },
        missing_when: None,
        description: "1 if the applicant has a credit file; 0 = thin file (no credit history)",
    },
    Column {
        name: "worst_dpd_12m",
        kind: ColumnKind::Integer { min: 0, max: 180 },
        missing_when: Some("thin file: no credit history (about 40%)"),
        description: "worst days past due in the last 12 months",
    },
    Column {
        name: "credit_history_months",
        kind: ColumnKind::Integer { min: 0, max: 360 },
        missing_when: None,
        description: "months since the first credit record; 0 for thin-file applicants",
    },
    Column {
        name: "requested_amount",
        kind: ColumnKind::Integer {
            min: 1_000,
            max: 300_000,
        },
        missing_when: None,
        description: "loan amount requested, CNY, a multiple of 500",
    },
    Column {
        name: "tenor_months",
        kind: ColumnKind::Integer { min: 3, max: 36 },
        missing_when: None,
        description: "one of 3, 6, 12, 18, 24, 36",
    },
    Column {
        name: "has_guarantor",
        kind: ColumnKind::Integer { min: 0, max: 1 },
        missing_when: None,
        description: "1 if a guarantor (often a village group member) co-signs",
    },
    Column {
        name: "has_health_insurance",
        kind: ColumnKind::Integer { min: 0, max: 1 },
        missing_when: None,
        description: "1 if covered by rural cooperative medical insurance",
    },
    Column {
        name: "distance_to_logistics_km",
        kind: ColumnKind::Real {
            min: 0.1,
            max: 300.0,
            decimals: 1,
        },
        missing_when: None,
        description: "road distance to the nearest logistics centre, km",
    },
    Column {
        name: "debt_to_income",
        kind: ColumnKind::Real {
            min: 0.0,
            max: 10.0,
            decimals: 3,
        },
        missing_when: Some("revenue not declared"),
        description: "monthly debt service, including the new loan, over monthly revenue",
    },
    Column {
        name: "default_12m",
        kind: ColumnKind::Label,
        missing_when: None,
        description: "1 if the loan went 90+ days past due within 12 months (about 5-8%)",
    },
];

/// Header line of the CSV output (no trailing newline).
pub fn csv_header() -> String {
    COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>().join(",")
}

/// Header line without the label column (applications awaiting a decision).
pub fn csv_header_without_label() -> String {
    COLUMNS[..COLUMNS.len() - 1]
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(",")
}

/// The inputs of the default process: everything that drives default, observed or latent.
///
/// There is deliberately no gender field: gender cannot enter [`log_odds`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskFactors {
    /// Index into [`PROVINCES`].
    pub province: usize,
    /// County remoteness, 1-5.
    pub remoteness: u8,
    /// Business type.
    pub business_type: BusinessType,
    /// Applicant age in years.
    pub age: u8,
    /// Education.
    pub education: Education,
    /// Household size.
    pub household_size: u8,
    /// Business age in months.
    pub business_age_months: u16,
    /// True monthly revenue (CNY), known to the process even when the applicant did not declare it.
    pub revenue: f64,
    /// Revenue coefficient of variation.
    pub volatility: f64,
    /// Mobile-payment transactions per month.
    pub mobile_txn: u32,
    /// Online store rating, when there is a store.
    pub store_rating: Option<f64>,
    /// Land area in mu.
    pub land_mu: f64,
    /// Open loans.
    pub existing_loans: u8,
    /// Worst days past due in 12 months; `None` for a thin file.
    pub worst_dpd: Option<u16>,
    /// Credit history length in months.
    pub credit_history_months: u16,
    /// Tenor in months.
    pub tenor_months: u8,
    /// Guarantor present.
    pub guarantor: bool,
    /// Health insurance present.
    pub health_insurance: bool,
    /// Distance to the nearest logistics centre, km.
    pub logistics_km: f64,
    /// True debt-to-income ratio.
    pub dti: f64,
    /// Latent repayment character, standard normal (partly visible through DPD and store rating).
    pub character: f64,
    /// Latent entrepreneurial ability, standard normal (partly visible through revenue).
    pub ability: f64,
    /// Unobserved weather, animal-disease or tourism-season shock this year.
    pub business_shock: bool,
    /// Unobserved health shock in the household this year.
    pub health_shock: bool,
}

/// Intercept of the default process, set so that the bad rate is about 6.5%.
pub const INTERCEPT: f64 = -4.4;

/// Log-odds of default within 12 months: the formula documented in `docs/synthetic-data.md`.
pub fn log_odds(r: &RiskFactors) -> f64 {
    observable_log_odds(r) + latent_log_odds(r)
}

/// The part of [`log_odds`] that the written columns determine (everything but the latent traits
/// and the shocks); the best any model of the file can do is to learn this.
pub fn observable_log_odds(r: &RiskFactors) -> f64 {
    let age = f64::from(r.age) - 40.0;
    let mut eta = INTERCEPT + PROVINCE_EFFECT[r.province] + 0.08 * (f64::from(r.remoteness) - 3.0);
    eta += r.business_type.risk() + r.education.risk();
    eta += 0.0011 * age * age;
    eta += 0.06 * (f64::from(r.household_size) - 4.0).max(0.0);
    eta += 0.7 * libm::exp(-f64::from(r.business_age_months) / 15.0);
    eta -= 0.35 * libm::log(r.revenue / r.business_type.median_revenue());
    eta += 0.6 * r.volatility.min(2.0);
    eta -= 0.10 * libm::log1p(f64::from(r.mobile_txn));
    if let Some(rating) = r.store_rating {
        eta -= 0.6 * (rating - 4.5);
    }
    eta -= 0.05 * libm::log1p(r.land_mu);
    eta += 0.15 * f64::from(r.existing_loans);
    eta += match r.worst_dpd {
        None => 0.15,
        Some(0) => -0.25,
        Some(1..=29) => 0.35,
        Some(30..=59) => 0.9,
        Some(60..=89) => 1.3,
        Some(_) => 1.8,
    };
    eta -= 0.15 * libm::log1p(f64::from(r.credit_history_months) / 12.0);
    eta += 0.012 * (f64::from(r.tenor_months) - 12.0);
    if r.guarantor {
        eta -= 0.3;
    }
    eta += 0.25 * libm::log1p(r.logistics_km / 10.0);
    eta += 0.8 * r.dti.min(0.5);
    if r.dti > 0.5 {
        eta += 0.6;
    }
    if r.dti > 1.0 {
        eta += 0.5;
    }
    eta
}

fn latent_log_odds(r: &RiskFactors) -> f64 {
    let mut eta = -0.55 * r.character - 0.2 * r.ability;
    if r.business_shock {
        eta += if r.business_type.is_agricultural() {
            0.9
        } else {
            0.7
        };
    }
    if r.health_shock {
        eta += if r.health_insurance { 0.4 } else { 1.0 };
    }
    eta
}

/// One generated application: the written columns, plus the risk factors behind its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    /// 0-based row index.
    pub index: u64,
    /// Gender (protected attribute).
    pub gender: Gender,
    /// Everything the default process uses.
    pub risk: RiskFactors,
    /// Declared monthly revenue (`None` when not declared).
    pub declared_revenue: Option<f64>,
    /// Requested amount, CNY.
    pub requested_amount: u32,
    /// Probability of default given all factors.
    pub pd: f64,
    /// The 0/1 label.
    pub default_12m: bool,
}

/// The random stream of row `index` under `seed`.
fn row_rng(seed: u64, index: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(splitmix64(splitmix64(seed).wrapping_add(index)))
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

fn round_to(x: f64, decimals: u32) -> f64 {
    let scale = libm::pow(10.0, f64::from(decimals));
    libm::round(x * scale) / scale
}

/// Index drawn with probability proportional to `weights`.
fn weighted(rng: &mut Xoshiro256PlusPlus, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    rng.sample(StandardNormal)
}

fn bernoulli(rng: &mut Xoshiro256PlusPlus, p: f64) -> bool {
    rng.gen::<f64>() < p
}

/// Poisson draw by inversion (small means only).
fn poisson(rng: &mut Xoshiro256PlusPlus, mean: f64) -> u32 {
    let u = rng.gen::<f64>();
    let mut p = libm::exp(-mean);
    let mut cdf = p;
    let mut k = 0u32;
    while u > cdf && k < 64 {
        k += 1;
        p *= mean / f64::from(k);
        cdf += p;
    }
    k
}

/// Generate application `index` (0-based) of the file with seed `seed`.
pub fn application(seed: u64, index: u64) -> Application {
    let mut rng = row_rng(seed, index);
    let rng = &mut rng;

    let province = weighted(rng, &PROVINCE_WEIGHTS);
    let remoteness = (PROVINCE_REMOTENESS[province] + 0.9 * normal(rng))
        .round()
        .clamp(1.0, 5.0);
    let gender = if bernoulli(rng, 0.46) {
        Gender::Female
    } else {
        Gender::Male
    };
    let age = (40.0 + 11.0 * normal(rng)).round().clamp(18.0, 70.0);

    // Education: a latent propensity, higher for younger applicants, cut into levels.
    let edu_score = normal(rng) + 0.03 * (40.0 - age);
    let education = match edu_score {
        s if s < -1.55 => Education::None,
        s if s < -0.6 => Education::Primary,
        s if s < 0.35 => Education::JuniorSecondary,
        s if s < 0.85 => Education::SeniorSecondary,
        s if s < 1.35 => Education::Vocational,
        _ => Education::College,
    };

    // Business type depends on remoteness, gender and education.
    let mut weights = [20.0, 14.0, 6.0, 10.0, 8.0, 9.0, 16.0, 9.0, 8.0];
    let remote_shift = remoteness - 3.0;
    weights[0] *= libm::exp(0.25 * remote_shift);
    weights[1] *= libm::exp(0.25 * remote_shift);
    weights[3] *= libm::exp(-0.35 * remote_shift);
    if gender == Gender::Female {
        weights[3] *= 1.3;
        weights[4] *= 1.8;
        weights[7] *= 0.3;
        weights[8] *= 1.2;
    }
    if education == Education::College {
        weights[3] *= 2.0;
    }
    let business_type = BusinessType::ALL[weighted(rng, &weights)];

    let household_size = (1.0
        + f64::from(poisson(
            rng,
            2.6 + 0.8 * libm::exp(-((age - 42.0) / 12.0).powi(2)),
        )))
    .min(10.0);

    let max_business_age = ((age - 16.0) * 12.0).min(480.0);
    let business_age_months = if bernoulli(rng, 0.45) {
        (-10.0 * libm::log(1.0 - rng.gen::<f64>()))
            .floor()
            .min(23.0)
    } else {
        (24.0 + libm::exp(libm::log(48.0) + 0.8 * normal(rng))).floor()
    }
    .min(max_business_age)
    .max(0.0);

    let character = normal(rng);
    let ability = normal(rng);

    let log_revenue = libm::log(business_type.median_revenue()) + 0.35 * ability
        - 0.12 * remote_shift
        + 0.15 * libm::log1p(business_age_months / 24.0)
        - 0.15
        + 0.08 * education.level()
        + 0.55 * normal(rng);
    let revenue = round_to(libm::exp(log_revenue), 0).clamp(200.0, 1_000_000.0);
    // Missing revenue is informative: informal and less trustworthy applicants declare less.
    let revenue_declared = !bernoulli(
        rng,
        sigmoid(-2.7 + 0.3 * remote_shift - 0.5 * character - 0.2 * education.level() + 0.4),
    );
    let volatility = round_to(
        business_type.volatility() * libm::exp(0.35 * normal(rng)),
        3,
    )
    .clamp(0.02, 3.0);

    let txn_mean = business_type.payment_activity()
        * libm::exp(-0.25 * remote_shift - 0.02 * (age - 40.0) + 0.3 * ability);
    let mobile_txn = if bernoulli(rng, 0.04 + 0.03 * remote_shift.max(0.0)) {
        0.0
    } else {
        (txn_mean * libm::exp(0.6 * normal(rng)))
            .round()
            .clamp(0.0, 20_000.0)
    };

    // Every e-commerce shop has a store; elsewhere younger applicants open one more often.
    let store_rate = match business_type {
        BusinessType::EcommerceShop => 1.0,
        _ => (business_type.online_store_rate() * (1.0 + 0.02 * (40.0 - age)).clamp(0.5, 1.5))
            .min(1.0),
    };
    let store_rating = if bernoulli(rng, store_rate) {
        Some(round_to(4.5 + 0.25 * character + 0.25 * normal(rng), 1).clamp(1.0, 5.0))
    } else {
        None
    };

    let land_mu = match business_type {
        BusinessType::CropFarming => libm::exp(libm::log(8.0) + 0.8 * normal(rng)),
        BusinessType::Livestock => libm::exp(libm::log(5.0) + 0.8 * normal(rng)),
        BusinessType::Aquaculture => libm::exp(libm::log(6.0) + 0.7 * normal(rng)),
        BusinessType::AgriProcessing => libm::exp(libm::log(2.0) + 0.7 * normal(rng)),
        _ => {
            if bernoulli(rng, 0.7) {
                libm::exp(libm::log(1.5) + 0.7 * normal(rng))
            } else {
                0.0
            }
        }
    };
    let land_mu = round_to(land_mu, 1).clamp(0.0, 500.0);

    let has_history = bernoulli(
        rng,
        sigmoid(
            0.45 - 0.35 * remote_shift - 0.03 * (40.0 - age).max(0.0)
                + 0.2 * (education.level() - 2.0)
                + if business_age_months >= 24.0 {
                    0.4
                } else {
                    0.0
                },
        ),
    );
    let (credit_history_months, existing_loans, worst_dpd) = if has_history {
        let months = libm::exp(libm::log(40.0) + 0.8 * normal(rng))
            .round()
            .clamp(1.0, ((age - 18.0) * 12.0).clamp(1.0, 360.0));
        let loans = f64::from(poisson(
            rng,
            0.9 + if business_age_months >= 24.0 {
                0.3
            } else {
                0.0
            },
        ))
        .min(8.0);
        let y = -character + 0.8 * normal(rng) + 0.3 * loans;
        let band = |lo: f64, hi: f64, u: f64| (lo + u * (hi - lo + 1.0)).floor().min(hi);
        let u = rng.gen::<f64>();
        let dpd = match y {
            y if y < 1.2 => 0.0,
            y if y < 1.8 => band(1.0, 29.0, u),
            y if y < 2.3 => band(30.0, 59.0, u),
            y if y < 2.7 => band(60.0, 89.0, u),
            _ => band(90.0, 180.0, u),
        };
        (months, loans, Some(dpd as u16))
    } else {
        (0.0, 0.0, None)
    };

    let amount_multiple = 1.5 + 4.5 * rng.gen::<f64>();
    let requested_amount =
        (libm::round(revenue * amount_multiple * libm::exp(0.4 * normal(rng)) / 500.0) * 500.0)
            .clamp(1_000.0, 300_000.0);
    let mut tenor_weights = TENOR_WEIGHTS;
    if requested_amount > 50_000.0 {
        tenor_weights[0] *= 0.3;
        tenor_weights[1] *= 0.5;
        tenor_weights[4] *= 1.6;
        tenor_weights[5] *= 2.0;
    }
    let tenor_months = TENORS[weighted(rng, &tenor_weights)] as f64;
    let guarantor = bernoulli(rng, 0.25 + 0.05 * remote_shift);
    let health_insurance = bernoulli(
        rng,
        sigmoid(1.6 + 0.25 * (education.level() - 2.0) + 0.02 * (age - 40.0)),
    );
    let logistics_km = round_to(
        libm::exp(libm::log(3.0 + 6.0 * libm::pow(remoteness - 1.0, 1.4)) + 0.5 * normal(rng)),
        1,
    )
    .clamp(0.1, 300.0);

    let existing_service = existing_loans * revenue * (0.03 + 0.09 * rng.gen::<f64>());
    let new_installment = requested_amount * (1.0 + 0.18 * tenor_months / 12.0) / tenor_months;
    let dti = round_to((existing_service + new_installment) / revenue, 3).clamp(0.0, 10.0);

    let business_shock = bernoulli(
        rng,
        if business_type.is_agricultural() {
            0.12
        } else if business_type == BusinessType::RuralTourism {
            0.10
        } else {
            0.0
        },
    );
    let health_shock = bernoulli(rng, 0.05);

    let risk = RiskFactors {
        province,
        remoteness: remoteness as u8,
        business_type,
        age: age as u8,
        education,
        household_size: household_size as u8,
        business_age_months: business_age_months as u16,
        revenue,
        volatility,
        mobile_txn: mobile_txn as u32,
        store_rating,
        land_mu,
        existing_loans: existing_loans as u8,
        worst_dpd,
        credit_history_months: credit_history_months as u16,
        tenor_months: tenor_months as u8,
        guarantor,
        health_insurance,
        logistics_km,
        dti,
        character,
        ability,
        business_shock,
        health_shock,
    };
    let pd = sigmoid(log_odds(&risk));
    let default_12m = bernoulli(rng, pd);
    Application {
        index,
        gender,
        risk,
        declared_revenue: revenue_declared.then_some(revenue),
        requested_amount: requested_amount as u32,
        pd,
        default_12m,
    }
}

/// A value of one written field.
enum Field<'a> {
    Str(&'a str),
    Int(i64),
    Real(f64),
    Missing,
}

impl Application {
    /// The written fields, in [`COLUMNS`] order (the id is written separately).
    fn fields(&self) -> [Field<'static>; 24] {
        let r = &self.risk;
        let declared = self.declared_revenue.is_some();
        let opt_real = |v: Option<f64>| v.map_or(Field::Missing, Field::Real);
        [
            Field::Str(PROVINCES[r.province]),
            Field::Int(i64::from(r.remoteness)),
            Field::Str(r.business_type.as_str()),
            Field::Int(i64::from(r.age)),
            Field::Str(self.gender.as_str()),
            Field::Str(r.education.as_str()),
            Field::Int(i64::from(r.household_size)),
            Field::Int(i64::from(r.business_age_months)),
            opt_real(self.declared_revenue),
            opt_real(declared.then_some(r.volatility)),
            Field::Int(i64::from(r.mobile_txn)),
            opt_real(r.store_rating),
            Field::Real(r.land_mu),
            Field::Int(i64::from(r.existing_loans)),
            Field::Int(i64::from(r.worst_dpd.is_some())),
            r.worst_dpd
                .map_or(Field::Missing, |d| Field::Int(i64::from(d))),
            Field::Int(i64::from(r.credit_history_months)),
            Field::Int(i64::from(self.requested_amount)),
            Field::Int(i64::from(r.tenor_months)),
            Field::Int(i64::from(r.guarantor)),
            Field::Int(i64::from(r.health_insurance)),
            Field::Real(r.logistics_km),
            opt_real(declared.then_some(r.dti)),
            Field::Int(i64::from(self.default_12m)),
        ]
    }

    /// The `application_id` value.
    pub fn id(&self) -> String {
        format!("A{:09}", self.index + 1)
    }

    /// Append this application as one CSV line (with newline) to `out`.
    pub fn write_csv(&self, out: &mut Vec<u8>) {
        self.write_csv_with(out, true);
    }

    /// Append this application as one CSV line, with or without the label column.
    pub fn write_csv_with(&self, out: &mut Vec<u8>, label: bool) {
        self.write_id(out);
        let fields = self.fields();
        let n = fields.len() - usize::from(!label);
        for field in &fields[..n] {
            out.push(b',');
            write_field(out, field, false);
        }
        out.push(b'\n');
    }

    /// Append this application as one JSON Lines record (with newline) to `out`.
    pub fn write_jsonl(&self, out: &mut Vec<u8>) {
        self.write_jsonl_with(out, true);
    }

    /// Append this application as one JSON Lines record, with or without the label.
    pub fn write_jsonl_with(&self, out: &mut Vec<u8>, label: bool) {
        out.extend_from_slice(b"{\"application_id\":\"");
        self.write_id(out);
        out.push(b'"');
        let fields = self.fields();
        let n = fields.len() - usize::from(!label);
        for (column, field) in COLUMNS[1..].iter().zip(&fields[..n]) {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(column.name.as_bytes());
            out.extend_from_slice(b"\":");
            write_field(out, field, true);
        }
        out.extend_from_slice(b"}\n");
    }

    fn write_id(&self, out: &mut Vec<u8>) {
        let mut buf = itoa::Buffer::new();
        let digits = buf.format(self.index + 1);
        out.push(b'A');
        for _ in digits.len()..9 {
            out.push(b'0');
        }
        out.extend_from_slice(digits.as_bytes());
    }
}

fn write_field(out: &mut Vec<u8>, field: &Field<'_>, json: bool) {
    match field {
        Field::Str(s) if json => {
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        }
        Field::Str(s) => out.extend_from_slice(s.as_bytes()),
        Field::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Field::Real(x) => crate::format::write_number(out, *x),
        Field::Missing if json => out.extend_from_slice(b"null"),
        Field::Missing => {}
    }
}

/// Rows generated per parallel work unit.
const CHUNK_ROWS: u64 = 8_192;
/// Work units in flight at once (bounds memory to a few tens of MB).
const CHUNKS_IN_FLIGHT: u64 = 32;

/// What [`write_applications`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthSummary {
    /// Rows written.
    pub rows: u64,
    /// Rows labelled `default_12m = 1`.
    pub defaults: u64,
}

impl SynthSummary {
    /// Share of rows labelled as defaults (0 when there are no rows).
    pub fn bad_rate(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.defaults as f64 / self.rows as f64
        }
    }
}

/// Write `rows` applications generated with `seed` to `out` in `format` (CSV with a header, or
/// JSON Lines), in row order.
///
/// Rows are generated in parallel on the current rayon pool, in fixed-size chunks written in
/// order, so the bytes do not depend on the number of threads; memory stays bounded whatever
/// the row count. `on_progress` is called with the number of rows written so far.
pub fn write_applications<W: Write>(
    out: W,
    rows: u64,
    seed: u64,
    format: FileFormat,
    on_progress: impl FnMut(u64),
) -> Result<SynthSummary, SynthError> {
    write_applications_with(out, rows, seed, format, true, on_progress)
}

/// [`write_applications`], with or without the `default_12m` label (`label = false` writes
/// applications as a lender sees them before the outcome is known).
pub fn write_applications_with<W: Write>(
    mut out: W,
    rows: u64,
    seed: u64,
    format: FileFormat,
    label: bool,
    mut on_progress: impl FnMut(u64),
) -> Result<SynthSummary, SynthError> {
    if !matches!(format, FileFormat::Csv | FileFormat::Jsonl) {
        return Err(SynthError::Format(format));
    }
    if format == FileFormat::Csv {
        let header = if label {
            csv_header()
        } else {
            csv_header_without_label()
        };
        out.write_all(header.as_bytes())?;
        out.write_all(b"\n")?;
    }
    let chunks = rows.div_ceil(CHUNK_ROWS);
    let mut defaults = 0;
    let mut chunk = 0;
    while chunk < chunks {
        let wave_end = (chunk + CHUNKS_IN_FLIGHT).min(chunks);
        let buffers: Vec<(Vec<u8>, u64)> = (chunk..wave_end)
            .into_par_iter()
            .map(|c| {
                let start = c * CHUNK_ROWS;
                let end = (start + CHUNK_ROWS).min(rows);
                let mut buf = Vec::with_capacity(((end - start) * 220) as usize);
                let mut bad = 0;
                for i in start..end {
                    let app = application(seed, i);
                    bad += u64::from(app.default_12m);
                    if format == FileFormat::Jsonl {
                        app.write_jsonl_with(&mut buf, label);
                    } else {
                        app.write_csv_with(&mut buf, label);
                    }
                }
                (buf, bad)
            })
            .collect();
        for (buf, bad) in buffers {
            out.write_all(&buf)?;
            defaults += bad;
        }
        chunk = wave_end;
        on_progress((chunk * CHUNK_ROWS).min(rows));
    }
    out.flush()?;
    Ok(SynthSummary { rows, defaults })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_generation_is_a_pure_function_of_seed_and_index() {
        assert_eq!(application(7, 123), application(7, 123));
        assert_ne!(application(7, 123), application(8, 123));
        assert_ne!(application(7, 123), application(7, 124));
    }

    #[test]
    fn ids_are_zero_padded_and_one_based() {
        assert_eq!(application(1, 0).id(), "A000000001");
        assert_eq!(application(1, 1_234_567_889).id(), "A1234567890");
        let mut buf = Vec::new();
        application(1, 41).write_csv(&mut buf);
        assert!(buf.starts_with(b"A000000042,"));
    }

    #[test]
    fn csv_and_jsonl_carry_the_same_fields() {
        for i in 0..200 {
            let app = application(3, i);
            let mut csv = Vec::new();
            app.write_csv(&mut csv);
            let csv = String::from_utf8(csv).unwrap();
            let csv_fields: Vec<&str> = csv.trim_end().split(',').collect();
            let mut json = Vec::new();
            app.write_jsonl(&mut json);
            let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(csv_fields.len(), COLUMNS.len());
            for (column, text) in COLUMNS.iter().zip(&csv_fields) {
                let v = &value[column.name];
                let as_text = match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(&as_text, text, "column {} of row {i}", column.name);
            }
        }
    }

    #[test]
    fn real_values_are_written_in_shortest_form() {
        let mut out = Vec::new();
        crate::format::write_number(&mut out, 1234.0);
        out.push(b' ');
        crate::format::write_number(&mut out, 0.123);
        out.push(b' ');
        crate::format::write_number(&mut out, round_to(2.0 / 3.0, 3));
        assert_eq!(out, b"1234 0.123 0.667");
    }

    #[test]
    fn poisson_has_the_requested_mean() {
        let mut rng = row_rng(1, 1);
        let n = 50_000;
        let total: u64 = (0..n).map(|_| u64::from(poisson(&mut rng, 2.6))).sum();
        let mean = total as f64 / f64::from(n);
        assert!((mean - 2.6).abs() < 0.05, "mean {mean}");
    }
}

/// Columns of one chunk, for Parquet output.
#[derive(Default)]
struct ParquetColumns {
    text: Vec<Vec<Option<&'static str>>>,
    ints: Vec<Vec<Option<i64>>>,
    reals: Vec<Vec<Option<f64>>>,
    ids: Vec<String>,
}

/// Write `rows` applications as Parquet (snappy): text columns as strings, integer columns as
/// Int64, real columns as Float64, missing values as nulls. Same rows and values as
/// [`write_applications_with`]; deterministic for a given (rows, seed) whatever the threads.
pub fn write_applications_parquet<W: Write + Send>(
    out: W,
    rows: u64,
    seed: u64,
    label: bool,
    mut on_progress: impl FnMut(u64),
) -> Result<SynthSummary, SynthError> {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field as ArrowField, Schema};

    let columns: Vec<&Column> = COLUMNS
        .iter()
        .filter(|c| label || c.kind != ColumnKind::Label)
        .collect();
    let kind_of = |c: &Column| match c.kind {
        ColumnKind::Id | ColumnKind::Categorical(_) | ColumnKind::Protected(_) => DataType::Utf8,
        ColumnKind::Integer { .. } | ColumnKind::Label => DataType::Int64,
        ColumnKind::Real { .. } => DataType::Float64,
    };
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| ArrowField::new(c.name, kind_of(c), c.missing_when.is_some()))
            .collect::<Vec<_>>(),
    ));
    let to_parquet = |e: parquet::errors::ParquetError| SynthError::Io(std::io::Error::other(e));
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(131_072))
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(out, schema.clone(), Some(props))
        .map_err(to_parquet)?;
    let chunks = rows.div_ceil(CHUNK_ROWS);
    let mut defaults = 0;
    let mut chunk = 0;
    while chunk < chunks {
        let wave_end = (chunk + CHUNKS_IN_FLIGHT).min(chunks);
        let batches: Vec<(RecordBatch, u64)> = (chunk..wave_end)
            .into_par_iter()
            .map(|c| {
                let start = c * CHUNK_ROWS;
                let end = (start + CHUNK_ROWS).min(rows);
                let mut cols = ParquetColumns::default();
                let n_fields = columns.len() - 1;
                cols.text.resize(n_fields, Vec::new());
                cols.ints.resize(n_fields, Vec::new());
                cols.reals.resize(n_fields, Vec::new());
                let mut bad = 0;
                for i in start..end {
                    let app = application(seed, i);
                    bad += u64::from(app.default_12m);
                    cols.ids.push(app.id());
                    for (f, field) in app.fields().into_iter().take(n_fields).enumerate() {
                        match field {
                            Field::Str(s) => cols.text[f].push(Some(s)),
                            Field::Int(x) => cols.ints[f].push(Some(x)),
                            Field::Real(x) => cols.reals[f].push(Some(x)),
                            Field::Missing => {
                                cols.text[f].push(None);
                                cols.ints[f].push(None);
                                cols.reals[f].push(None);
                            }
                        }
                    }
                }
                let mut arrays: Vec<ArrayRef> = vec![Arc::new(StringArray::from(cols.ids))];
                for (f, c) in columns[1..].iter().enumerate() {
                    arrays.push(match kind_of(c) {
                        DataType::Utf8 => {
                            Arc::new(StringArray::from(std::mem::take(&mut cols.text[f])))
                        }
                        DataType::Int64 => {
                            Arc::new(Int64Array::from(std::mem::take(&mut cols.ints[f])))
                        }
                        _ => Arc::new(Float64Array::from(std::mem::take(&mut cols.reals[f]))),
                    });
                }
                RecordBatch::try_new(schema.clone(), arrays)
                    .map(|b| (b, bad))
                    .map_err(|e| SynthError::Io(std::io::Error::other(e)))
            })
            .collect::<Result<_, _>>()?;
        for (batch, bad) in batches {
            writer.write(&batch).map_err(to_parquet)?;
            defaults += bad;
        }
        chunk = wave_end;
        on_progress((chunk * CHUNK_ROWS).min(rows));
    }
    writer.close().map_err(to_parquet)?;
    Ok(SynthSummary { rows, defaults })
}
