//! The bundled price table: EC2 instance types the design's compute environment uses
//! (c5.xlarge, c5.2xlarge) and their
//! common alternatives, each with vCPUs, installed memory and an On-Demand price per hour.
//!
//! Terms:
//! - **market**: On-Demand (list price) or Spot (spare capacity, reclaimable, cheaper);
//! - **spot discount**: the fraction Spot takes off On-Demand when a type has no Spot price of
//!   its own. The bundled table has no live Spot prices (they move by hour and zone); it states
//!   where its estimate comes from, and every command takes `--spot-price` to override it.
//!
//! The table is `prices.json` next to this crate's manifest; a user may load one of their own.

use serde::{Deserialize, Serialize};

use crate::error::CostError;

const BUNDLED: &str = include_str!("../prices.json");

/// Where an instance's capacity is bought.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Market {
    Spot,
    OnDemand,
}

impl Market {
    /// The market's name as people write it: `Spot`, `On-Demand`.
    pub fn label(self) -> &'static str {
        match self {
            Market::Spot => "Spot",
            Market::OnDemand => "On-Demand",
        }
    }
}

/// What runs are priced at: a price table, a market and the compute environment's instance
/// types.
#[derive(Clone, Debug)]
pub struct Pricing {
    pub table: PriceTable,
    pub market: Market,
    /// The compute environment's instance types.
    pub types: Vec<String>,
}

impl Default for Pricing {
    /// The bundled table, Spot, the stack's default instance types.
    fn default() -> Pricing {
        Pricing {
            table: PriceTable::bundled(),
            market: Market::Spot,
            types: crate::placement::default_instance_types(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceType {
    /// e.g. `c5.xlarge`.
    pub name: String,
    pub vcpus: u32,
    /// Installed memory as EC2 advertises it.
    pub memory_gib: u32,
    /// USD per instance-hour.
    pub on_demand: f64,
    /// USD per instance-hour on Spot, when the table knows it; else the table's discount applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<f64>,
}

impl InstanceType {
    /// The family, the part before the dot (`c5` of `c5.xlarge`).
    pub fn family(&self) -> &str {
        self.name.split('.').next().unwrap_or(&self.name)
    }

    pub fn memory_mib(&self) -> u64 {
        u64::from(self.memory_gib) * 1024
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    pub region: String,
    /// The date the prices were taken (YYYY-MM-DD).
    pub taken: String,
    pub on_demand_source: String,
    /// Fraction of On-Demand that Spot saves, for types without a Spot price.
    pub spot_discount: f64,
    pub spot_source: String,
    pub instances: Vec<InstanceType>,
}

impl PriceTable {
    /// Where the prices come from, in one sentence (shown beside every priced figure).
    pub fn source(&self) -> String {
        format!(
            "Prices: {}, taken {}. Spot: {}.",
            self.on_demand_source, self.taken, self.spot_source
        )
    }

    /// The table shipped with fredbatch.
    pub fn bundled() -> PriceTable {
        PriceTable::from_json(BUNDLED).expect("the bundled price table is valid")
    }

    /// A table of the same shape as `prices.json`, checked for sense.
    pub fn from_json(text: &str) -> Result<PriceTable, CostError> {
        let table: PriceTable = serde_json::from_str(text)?;
        if !(0.0..1.0).contains(&table.spot_discount) {
            return Err(CostError::InvalidTable(format!(
                "spot_discount must be a fraction in [0, 1), not {}",
                table.spot_discount
            )));
        }
        if let Some(bad) = table.instances.iter().find(|i| {
            i.vcpus == 0
                || i.memory_gib == 0
                || i.on_demand <= 0.0
                || i.spot.is_some_and(|s| s <= 0.0)
        }) {
            return Err(CostError::InvalidTable(format!(
                "{} needs vCPUs, memory and prices above zero",
                bad.name
            )));
        }
        Ok(table)
    }

    pub fn get(&self, name: &str) -> Result<&InstanceType, CostError> {
        self.instances
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| CostError::UnknownInstance {
                name: name.to_owned(),
                known: self.names().join(", "),
            })
    }

    pub fn names(&self) -> Vec<&str> {
        self.instances.iter().map(|i| i.name.as_str()).collect()
    }

    /// The instance types of one family, smallest first.
    pub fn family(&self, family: &str) -> Vec<&InstanceType> {
        let mut types: Vec<&InstanceType> = self
            .instances
            .iter()
            .filter(|i| i.family() == family)
            .collect();
        types.sort_by_key(|i| i.vcpus);
        types
    }

    /// USD per instance-hour of `instance` on `market`.
    pub fn hourly(&self, instance: &InstanceType, market: Market) -> f64 {
        match market {
            Market::OnDemand => instance.on_demand,
            Market::Spot => instance
                .spot
                .unwrap_or(instance.on_demand * (1.0 - self.spot_discount)),
        }
    }

    /// Replaces one type's prices, as `--on-demand-price` / `--spot-price` do.
    pub fn override_prices(
        &mut self,
        name: &str,
        on_demand: Option<f64>,
        spot: Option<f64>,
    ) -> Result<(), CostError> {
        let known = self.names().join(", ");
        let instance = self
            .instances
            .iter_mut()
            .find(|i| i.name == name)
            .ok_or_else(|| CostError::UnknownInstance {
                name: name.to_owned(),
                known,
            })?;
        if let Some(price) = on_demand {
            instance.on_demand = price;
        }
        if spot.is_some() {
            instance.spot = spot;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_holds_the_default_types_and_alternatives() {
        let table = PriceTable::bundled();
        let c5 = table.get("c5.xlarge").unwrap();
        assert_eq!((c5.vcpus, c5.memory_gib), (4, 8));
        assert_eq!(c5.on_demand, 0.17);
        assert_eq!(table.get("c5.2xlarge").unwrap().vcpus, 8);
        for family in ["c6i", "c7i", "m5", "m6i", "r5"] {
            let sizes: Vec<u32> = table.family(family).iter().map(|i| i.vcpus).collect();
            assert_eq!(sizes, [2, 4, 8, 16], "{family}");
        }
        assert!(table.taken.len() == 10 && table.taken.starts_with("20"));
        let source = table.source();
        assert!(source.starts_with("Prices: ") && source.contains(&table.taken));
    }

    #[test]
    fn spot_is_the_discount_unless_overridden() {
        let mut table = PriceTable::bundled();
        let spot = table.hourly(table.get("c5.xlarge").unwrap(), Market::Spot);
        assert!((spot - 0.051).abs() < 1e-9, "{spot}");
        table
            .override_prices("c5.xlarge", Some(0.2), Some(0.07))
            .unwrap();
        let c5 = table.get("c5.xlarge").unwrap().clone();
        assert_eq!(table.hourly(&c5, Market::Spot), 0.07);
        assert_eq!(table.hourly(&c5, Market::OnDemand), 0.2);
    }

    #[test]
    fn unknown_types_name_the_known_ones() {
        let error = PriceTable::bundled().get("p5.48xlarge").unwrap_err();
        assert!(error.to_string().contains("c5.xlarge"), "{error}");
    }

    #[test]
    fn nonsense_tables_are_refused() {
        let text = BUNDLED.replace("\"spot_discount\": 0.7", "\"spot_discount\": 1.5");
        assert!(matches!(
            PriceTable::from_json(&text),
            Err(CostError::InvalidTable(_))
        ));
    }
}
