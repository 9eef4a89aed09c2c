//! Coordinate reference systems: British National Grid (EPSG:27700) <-> WGS84 (EPSG:4326).
//!
//! Uses `lonlat_bng`, which applies the Ordnance Survey OSTN15 transformation (sub-centimetre against the
//! OS test points), rather than a 7-parameter Helmert shift that is metres out.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum CrsError {
    #[error("longitude {lon}, latitude {lat} is outside the OSTN15 grid (Great Britain and near waters)")]
    OutsideGridWgs84 { lon: f64, lat: f64 },
    #[error("easting {easting}, northing {northing} is outside the OSTN15 grid")]
    OutsideGridBng { easting: f64, northing: f64 },
}

/// WGS84 longitude/latitude (degrees) to British National Grid easting/northing (metres).
pub fn wgs84_to_bng(lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
    if !lon.is_finite() || !lat.is_finite() {
        return Err(CrsError::OutsideGridWgs84 { lon, lat });
    }
    lonlat_bng::convert_osgb36(lon, lat).map_err(|_| CrsError::OutsideGridWgs84 { lon, lat })
}

/// British National Grid easting/northing (metres) to WGS84 longitude/latitude (degrees).
pub fn bng_to_wgs84(easting: f64, northing: f64) -> Result<(f64, f64), CrsError> {
    if !easting.is_finite() || !northing.is_finite() {
        return Err(CrsError::OutsideGridBng { easting, northing });
    }
    lonlat_bng::convert_osgb36_to_ll(easting, northing)
        .map_err(|_| CrsError::OutsideGridBng { easting, northing })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_london_is_centimetre_accurate() {
        // Trafalgar Square, roughly.
        let (e, n) = wgs84_to_bng(-0.1281, 51.5080).expect("inside grid");
        assert!((e - 530_000.0).abs() < 1_000.0 && (n - 180_400.0).abs() < 1_000.0, "{e} {n}");
        let (lon, lat) = bng_to_wgs84(e, n).expect("inside grid");
        assert!((lon + 0.1281).abs() < 1e-6 && (lat - 51.5080).abs() < 1e-6);
    }

    #[test]
    fn far_outside_britain_is_an_error_not_a_panic() {
        assert!(wgs84_to_bng(120.0, -30.0).is_err());
        assert!(wgs84_to_bng(f64::NAN, 51.0).is_err());
    }
}
