//! Ward statistics as WGS84 GeoJSON (`maps/place_wards_<theme>.geojson`) for QGIS and web maps.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::classes::{class_of, Classes, Classing};
use super::WardStats;
use crate::geo::WardSet;

fn num(v: Option<f64>) -> Value {
    v.filter(|x| x.is_finite()).and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
}

fn text(v: Option<&str>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.to_string()))
}

/// The FeatureCollection text: every ward of `wards` (code order) with `code`, `name`, `theme` and the
/// statistics; absent figures are `null`. `rate_class` is the map's 1-based class (1 = lowest).
///
/// `public`: built from the suppressed public tables. Every ward then carries `suppressed` (true where its
/// count was withheld, with count, rate, interval and comparison `null`), and there are no Gi* properties
/// (the hot-spot table is not published).
pub(crate) fn ward_geojson(wards: &WardSet, theme: &str, stats: &WardStats, classing: Classing, public: bool) -> Result<String, String> {
    let rate_of = |code: &str| stats.get(code).filter(|s| !s.suppressed).and_then(|s| s.rate).filter(|r| r.is_finite());
    let rates: Vec<f64> = wards.wards.iter().filter_map(|w| rate_of(&w.code)).collect();
    let classes = Classes::new(&rates, classing);
    let mut extra: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for w in &wards.wards {
        let hidden = stats.get(&w.code).is_some_and(|s| s.suppressed);
        let population = stats.get(&w.code).and_then(|s| s.population);
        // A suppressed ward keeps only its population: nothing derived from the withheld count.
        let s = stats.get(&w.code).filter(|s| !s.suppressed);
        let mut p = Map::new();
        p.insert("theme".into(), Value::String(theme.to_string()));
        p.insert("offences".into(), s.and_then(|s| s.offences).map_or(Value::Null, |n| Value::Number(n.into())));
        p.insert("population".into(), num(population));
        p.insert("rate".into(), num(s.and_then(|s| s.rate)));
        p.insert("lower".into(), num(s.and_then(|s| s.lower)));
        p.insert("upper".into(), num(s.and_then(|s| s.upper)));
        p.insert("vs_area".into(), text(s.and_then(|s| s.vs_area.as_deref())));
        let class = rate_of(&w.code).and_then(|r| class_of(&classes.bounds, r));
        p.insert("rate_class".into(), class.map_or(Value::Null, |j| Value::Number((j as u64 + 1).into())));
        p.insert("rate_class_range".into(), class.map_or(Value::Null, |j| Value::String(classes.range_label(j))));
        if public {
            p.insert("suppressed".into(), Value::Bool(hidden));
        } else {
            p.insert("gi_star_z".into(), num(s.and_then(|s| s.gi_star_z)));
            p.insert("p_adjusted".into(), num(s.and_then(|s| s.p_adjusted)));
            p.insert("class".into(), text(s.and_then(|s| s.class.as_deref())));
            p.insert("island".into(), s.and_then(|s| s.island).map_or(Value::Null, Value::Bool));
        }
        extra.insert(w.code.clone(), p);
    }
    wards.to_geojson_wgs84(&extra).map_err(|e| e.to_string())
}
