//! A seeded stochastic agent-based SEIR epidemic: susceptible → exposed → infectious
//! (symptomatic or asymptomatic) → recovered, with household and community contacts.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use crate::program::Model;

/// Variables of the Influenza condition, in FRED's column order.
pub const INF_VARS: [&str; 6] = ["S", "E", "Is", "Ia", "R", "Import"];
/// Variables of the StayHome condition.
pub const STAY_HOME_VARS: [&str; 4] = ["Start", "Symptoms", "Yes", "No"];

const HOUSEHOLD_SIZE: usize = 3;
const COMMUNITY_CONTACTS: u32 = 6;
const BASE_TRANSMISSION: f64 = 0.045;
const ASYMPTOMATIC_FACTOR: f64 = 0.5;
const SYMPTOMATIC_SHARE: f64 = 0.67;
const DAILY_ONSET: f64 = 0.5;
const DAILY_RECOVERY: f64 = 0.2;
const STAY_HOME_SHARE: f64 = 0.5;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Health {
    Susceptible,
    Exposed,
    Symptomatic,
    Asymptomatic,
    Recovered,
}

/// New, current and cumulative counts of one variable on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub new: i64,
    pub current: i64,
    pub total: i64,
}

/// One day of the simulation.
#[derive(Clone, Debug, PartialEq)]
pub struct Day {
    pub inf: [Count; 6],
    pub inf_rr: f64,
    pub stay_home: [Count; 4],
    pub stay_home_rr: f64,
    /// People newly exposed that day, for health records.
    pub exposed: Vec<u32>,
}

pub struct Epidemic {
    pub population: u32,
    pub days: Vec<Day>,
}

/// Runs the model; `progress(day, (infectious, recovered))` is called once per simulated day.
pub fn simulate(
    model: &Model,
    run_number: u32,
    mut progress: impl FnMut(u32, (i64, i64)),
) -> Epidemic {
    // FRED seeds its random stream from the run number (and the `seed` key when the model sets
    // it): same model + same run (+ same seed) → same result.
    let mut rng = Pcg64::seed_from_u64(stream_seed(model.seed, run_number));
    let n = model.population as usize;
    let mut health = vec![Health::Susceptible; n];
    let mut totals = [0i64; 6];
    let mut stay_home_totals = [0i64; 4];
    let mut days = Vec::with_capacity(model.days as usize + 1);

    // Day 0: imported infections.
    let mut exposed_today = Vec::new();
    for _ in 0..model.imports.min(model.population) {
        let person = rng.gen_range(0..n);
        if health[person] == Health::Susceptible {
            health[person] = Health::Exposed;
            exposed_today.push(person as u32);
        }
    }
    let imports = exposed_today.len() as i64;
    let mut new = [n as i64, imports, 0, 0, 0, imports];
    let mut previous_infectious = 0i64;
    for day in 0..=model.days {
        if day > 0 {
            new = [0; 6];
            exposed_today = step(&mut health, model.transmissibility, &mut rng, &mut new);
        }
        let current = census(&health);
        for (total, added) in totals.iter_mut().zip(new) {
            *total += added;
        }
        let inf: [Count; 6] = std::array::from_fn(|i| Count {
            new: new[i],
            current: if i == 5 {
                imports.min(current[1] + current[2] + current[3])
            } else {
                current[i]
            },
            total: if i == 0 { n as i64 } else { totals[i] },
        });
        let infectious = current[2] + current[3];
        let inf_rr = if previous_infectious > 0 {
            new[1] as f64 / previous_infectious as f64
        } else {
            0.0
        };
        previous_infectious = infectious;
        let staying = (current[2] as f64 * STAY_HOME_SHARE).round() as i64;
        let stay_new = [
            if day == 0 { n as i64 } else { 0 },
            new[2],
            (new[2] as f64 * STAY_HOME_SHARE).round() as i64,
            new[2] - (new[2] as f64 * STAY_HOME_SHARE).round() as i64,
        ];
        for (total, added) in stay_home_totals.iter_mut().zip(stay_new) {
            *total += added;
        }
        let stay_current = [0, 0, staying, n as i64 - staying];
        let stay_home: [Count; 4] = std::array::from_fn(|i| Count {
            new: stay_new[i],
            current: stay_current[i],
            total: stay_home_totals[i],
        });
        progress(day, (infectious, current[4]));
        days.push(Day {
            inf,
            inf_rr,
            stay_home,
            stay_home_rr: 0.0,
            exposed: std::mem::take(&mut exposed_today),
        });
    }
    Epidemic {
        population: model.population,
        days,
    }
}

/// The random stream's seed: the run number alone, as before the `seed` key existed, or mixed
/// with the key's value (splitmix64, so nearby seeds give unrelated streams).
fn stream_seed(seed: Option<u64>, run_number: u32) -> u64 {
    let base = 0x9E37_79B9_7F4A_7C15 ^ u64::from(run_number);
    match seed {
        None => base,
        Some(seed) => {
            let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            base ^ z ^ (z >> 31)
        }
    }
}

/// One day: progressions first, then transmission from those infectious today.
fn step(
    health: &mut [Health],
    transmissibility: f64,
    rng: &mut Pcg64,
    new: &mut [i64; 6],
) -> Vec<u32> {
    let n = health.len();
    let mut infectious = Vec::new();
    for (person, state) in health.iter_mut().enumerate() {
        match *state {
            Health::Exposed if rng.gen_bool(DAILY_ONSET) => {
                if rng.gen_bool(SYMPTOMATIC_SHARE) {
                    *state = Health::Symptomatic;
                    new[2] += 1;
                } else {
                    *state = Health::Asymptomatic;
                    new[3] += 1;
                }
            }
            Health::Symptomatic | Health::Asymptomatic if rng.gen_bool(DAILY_RECOVERY) => {
                *state = Health::Recovered;
                new[4] += 1;
            }
            Health::Symptomatic => infectious.push((person, 1.0)),
            Health::Asymptomatic => infectious.push((person, ASYMPTOMATIC_FACTOR)),
            _ => {}
        }
    }
    let mut exposed = Vec::new();
    for (person, factor) in infectious {
        let household = (person / HOUSEHOLD_SIZE) * HOUSEHOLD_SIZE;
        let contacts = (household..(household + HOUSEHOLD_SIZE).min(n))
            .filter(|&other| other != person)
            .chain((0..COMMUNITY_CONTACTS).map(|_| rng.gen_range(0..n)))
            .collect::<Vec<_>>();
        for other in contacts {
            let p = (BASE_TRANSMISSION * transmissibility * factor * 2.0).min(1.0);
            if health[other] == Health::Susceptible && rng.gen_bool(p) {
                health[other] = Health::Exposed;
                new[1] += 1;
                exposed.push(other as u32);
            }
        }
    }
    exposed
}

/// How many people are in each state: S, E, Is, Ia, R.
fn census(health: &[Health]) -> [i64; 6] {
    let mut counts = [0i64; 6];
    for state in health {
        counts[match state {
            Health::Susceptible => 0,
            Health::Exposed => 1,
            Health::Symptomatic => 2,
            Health::Asymptomatic => 3,
            Health::Recovered => 4,
        }] += 1;
    }
    counts
}
