//! Report stage: tables -> charts and findings text. Reads only `tables/` (and the manifest for data
//! accounting), writes `charts/` and `report/`.

pub mod charts;
pub mod charts_from_tables;
pub mod findings;
pub mod maps;
pub mod markdown_tables;
pub mod markdown_text;
pub mod findings_dimensions;
pub mod html;
pub mod public;
pub mod public_links;
pub mod summary;
pub mod table_rows;
pub mod tables;
#[cfg(test)]
mod test_settings;
pub mod tier_tables;
pub mod workbook;

use crate::definition::Definition;
use crate::pipeline::config::Pipeline;
use crate::step_timer::StepTimer;
use charts::{render_ward_bars, WardBar, WardBarChart};
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("reading tables: {0}")]
    Table(String),
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

pub struct ReportSettings<'a> {
    pub pipeline: &'a Pipeline,
    pub definition: &'a Definition,
    /// The run the tables come from, stated in the summary's footer and the workbook's README.
    pub run_id: &'a str,
}

/// Restricted outputs for the partnership, or the published tier built only from suppressed tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Restricted,
    Public,
}

/// Ranked ward charts per theme into `<root>/charts`; returns the files written, relative to `root`.
fn ward_charts(
    root: &Path,
    s: &ReportSettings,
    wards: &std::collections::BTreeMap<String, Vec<findings::WardFigures>>,
    areas: &std::collections::BTreeMap<String, findings::AreaFigures>,
) -> Result<Vec<String>, ReportError> {
    let p = s.pipeline;
    let mut written = Vec::new();
    for theme in s.definition.themes() {
        let Some(figs) = wards.get(&theme.key) else { continue };
        let bars: Vec<WardBar> = figs
            .iter()
            .map(|w| WardBar { code: w.code.clone(), name: w.name.clone(), count: w.offences, rate: w.rate, lower: w.lower, upper: w.upper })
            .collect();
        let title = format!("{}: offences by ward, {}", theme.label, p.period.short_label());
        let subtitle = format!("Rate per 1,000 residents with {:.0}% confidence intervals", p.analysis.confidence * 100.0);
        let caption = format!(
            "Source: police recorded crime, {}. Definition: {} ({}). {} offences could not be placed in a ward.",
            p.period.label(),
            s.definition.name(),
            s.definition.short_hash(),
            areas.get(&theme.key).map(|a| a.offences_outside_area + a.offences_unlocated).unwrap_or(0)
        );
        let area_label = format!("{} rate", p.area);
        let chart = WardBarChart {
            title: &title,
            subtitle: &subtitle,
            value_label: "Offences per 1,000 residents",
            caption: &caption,
            area_rate: areas.get(&theme.key).and_then(|a| a.rate),
            area_label: &area_label,
            confidence: p.analysis.confidence,
            bars: &bars,
        };
        let stem = format!("place_wards_{}", theme.key);
        let png = root.join("charts").join(format!("{stem}.png"));
        let svg = root.join("charts").join(format!("{stem}.svg"));
        match render_ward_bars(&chart, &png, &svg) {
            Ok(()) => {
                written.push(format!("charts/{stem}.png"));
                written.push(format!("charts/{stem}.svg"));
            }
            Err(charts::ChartError::NoData { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(written)
}

/// `<root>/report/summary.md` and `index.html`; returns the files written, relative to `root`.
fn summary_and_index(
    root: &Path,
    out: &Path,
    s: &ReportSettings,
    wards: &std::collections::BTreeMap<String, Vec<findings::WardFigures>>,
    areas: &std::collections::BTreeMap<String, findings::AreaFigures>,
    tier: Tier,
) -> Result<Vec<String>, ReportError> {
    let summary_path = root.join("report").join("summary.md");
    let text = summary::render(s, wards, areas, root, out, tier);
    crate::fsutil::write_atomic(&summary_path, text.as_bytes())
        .map_err(|source| ReportError::Io { path: summary_path.display().to_string(), source })?;
    html::write_index(&root.join("report"), &s.pipeline.name, &text, tier)
        .map_err(|source| ReportError::Io { path: root.join("report/index.html").display().to_string(), source })?;
    Ok(vec!["report/summary.md".to_string(), "report/index.html".to_string()])
}

/// Build charts and the summary; returns the files written, relative to `out`.
///
/// The restricted tier and the published tier write to different folders and read only `tables/`, so they
/// are built on two threads (drawing was mostly on one core); the list keeps the serial order.
pub fn run_report(out: &Path, s: &ReportSettings) -> Result<Vec<String>, ReportError> {
    let have_offence_tables = out.join("tables").join("place_wards.parquet").is_file();
    let wards = if have_offence_tables { tables::ward_figures(out)? } else { Default::default() };
    let areas = if have_offence_tables { tables::area_figures(out)? } else { Default::default() };
    let restricted = || -> Result<Vec<String>, ReportError> {
        let mut timer = StepTimer::start("report.restricted");
        let mut written = ward_charts(out, s, &wards, &areas)?;
        written.extend(charts_from_tables::write_charts(out, s, Tier::Restricted)?);
        timer.step("charts");
        written.extend(maps::write_maps(out, s, Tier::Restricted)?);
        timer.step("maps");
        written.extend(summary_and_index(out, out, s, &wards, &areas, Tier::Restricted)?);
        timer.step("summary");
        written.extend(workbook::write_workbook(out, s)?);
        timer.step("workbook");
        written.extend(markdown_tables::write_markdown_tables(out)?);
        timer.step("markdown_tables");
        Ok(written)
    };
    let published = || -> Result<(Vec<String>, Vec<String>), ReportError> {
        let mut timer = StepTimer::start("report.published");
        let tables = public::write_public_tables(out, &s.pipeline.privacy)?;
        timer.step("suppressed_tables");
        // The published tier: charts and summary built only from the suppressed tables in public/tables.
        let public_root = out.join("public");
        let (pw, pa) = tables::figures_from_csv(&public_root);
        let mut public = ward_charts(&public_root, s, &pw, &pa)?;
        public.extend(charts_from_tables::write_charts(out, s, Tier::Public)?);
        timer.step("charts");
        public.extend(maps::write_maps(out, s, Tier::Public)?);
        timer.step("maps");
        public.extend(workbook::write_public_workbook(out, s)?);
        timer.step("workbook");
        // Last: the summary embeds whichever public charts and maps were drawn.
        public.extend(summary_and_index(&public_root, out, s, &pw, &pa, Tier::Public)?);
        timer.step("summary");
        Ok((tables, public))
    };
    let (restricted, published) = std::thread::scope(|scope| {
        let published = std::thread::Builder::new().name("sna-public".into()).spawn_scoped(scope, published);
        let restricted = restricted();
        let published = match published {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(source) => Err(ReportError::Io { path: "(report thread)".into(), source }),
        };
        (restricted, published)
    });
    let mut written = restricted?;
    let (tables, public) = published?;
    written.extend(tables);
    written.extend(public.into_iter().map(|f| format!("public/{f}")));
    Ok(written)
}
