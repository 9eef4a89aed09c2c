//! Every chart the report writes for the demo is a valid PNG or SVG of sensible size, and each
//! chart kind is present.

use crate::support::demo_out;

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 24, "PNG too short");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "IHDR first");
    let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    (w, h)
}

#[test]
fn every_chart_is_a_valid_png_or_svg_of_sensible_size() {
    let dir = demo_out().join("charts");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let (mut pngs, mut svgs) = (0, 0);
    for name in &names {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if name.ends_with(".png") {
            pngs += 1;
            assert!(bytes.len() > 5 * 1024, "{name}: only {} bytes", bytes.len());
            let (w, h) = png_size(&bytes);
            assert!((800..=2000).contains(&w), "{name}: width {w}");
            assert!((300..=6000).contains(&h), "{name}: height {h}");
            let svg = dir.join(name.replace(".png", ".svg"));
            assert!(svg.is_file(), "{name} has no SVG twin");
        } else if name.ends_with(".svg") {
            svgs += 1;
            let text =
                String::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: not UTF-8: {e}"));
            assert!(text.contains("<svg"), "{name}: no <svg");
            assert!(text.trim_end().ends_with("</svg>"), "{name}: not closed");
        }
    }
    assert!(pngs > 0 && pngs == svgs, "{pngs} PNGs, {svgs} SVGs");
    for kind in [
        "place_wards_",
        "time_hour_weekday_",
        "time_months_",
        "people_ethnicity_victim_",
        "people_ethnicity_suspect_",
        "place_lorenz_",
        "place_funnel_",
    ] {
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(kind) && n.ends_with(".png")),
            "no {kind}*.png in {names:?}"
        );
    }
}

#[test]
fn charts_name_their_titles_axes_and_sources() {
    let dir = demo_out().join("charts");
    for (file, needles) in [
        (
            "time_hour_weekday_serious_violence.svg",
            &["Hour of day", "Day of week", "Source:", "Aoristic"][..],
        ),
        (
            "time_months_serious_violence.svg",
            &["Offences per month", "Rolling 12-month average", "Source:"][..],
        ),
        (
            "people_ethnicity_victim_serious_violence.svg",
            &["Ethnic group", "(reference)", "Under 25", "All ages"][..],
        ),
        (
            "place_lorenz_serious_violence.svg",
            &["Cumulative share of wards", "Cumulative share of offences"][..],
        ),
        (
            "place_funnel_serious_violence.svg",
            &["Resident population", "99.8% limits", "Byar"][..],
        ),
    ] {
        let path = dir.join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for n in needles {
            assert!(text.contains(n), "{file} lacks {n:?}");
        }
    }
}
