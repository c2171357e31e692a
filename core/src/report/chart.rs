//! A report's result as an SVG chart, written by hand (small, no dependency): bars, bars
//! stacked by the second group-by, lines for date buckets, a pie for shares. The chart
//! shows the first measure; a money measure draws one series per currency (amounts in
//! different currencies are never stacked onto each other). Every label is escaped; the
//! chart has a `<title>` and `<desc>`, and every bar, point and slice its own `<title>`.

use std::fmt::Write;

use super::{ChartKind, GroupKey, ReportResult};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 72.0;
/// Series colours: readable on white and dark, told apart by the legend's text too.
const PALETTE: [&str; 8] = [
    "#4f6bed", "#e8833a", "#2e9e6a", "#c2417a", "#8a63d2", "#c9a227", "#3a9fb5", "#7a7a7a",
];

/// The data a chart draws: categories (first group-by) by series.
struct Data {
    categories: Vec<String>,
    series: Vec<String>,
    /// `values[category][series]`.
    values: Vec<Vec<f64>>,
}

fn data(result: &ReportResult) -> Data {
    let mut categories: Vec<(Option<&GroupKey>, &str)> = Vec::new();
    let mut seconds: Vec<(Option<&GroupKey>, &str)> = Vec::new();
    let mut currencies: Vec<Option<&str>> = Vec::new();
    for row in &result.rows {
        let cat = (row.keys.first(), row.groups.first().map_or("All", String::as_str));
        if !categories.contains(&cat) {
            categories.push(cat);
        }
        let second = (row.keys.get(1), row.groups.get(1).map_or("", String::as_str));
        if !seconds.contains(&second) {
            seconds.push(second);
        }
        for (code, _) in row.values.first().map(|v| v.points()).unwrap_or_default() {
            if !currencies.contains(&code) {
                currencies.push(code);
            }
        }
    }
    seconds.sort();
    currencies.sort();
    if currencies.is_empty() {
        currencies.push(None);
    }
    let measure = result.measures.first().cloned().unwrap_or_default();
    let mut series = Vec::new();
    for (_, second) in &seconds {
        for code in &currencies {
            let name = match (second.is_empty(), code) {
                (true, None) => measure.clone(),
                (true, Some(c)) => format!("{measure} ({c})"),
                (false, None) => second.to_string(),
                (false, Some(c)) => format!("{second} ({c})"),
            };
            series.push(name);
        }
    }
    let mut values = vec![vec![0.0; series.len()]; categories.len()];
    for row in &result.rows {
        let cat = (row.keys.first(), row.groups.first().map_or("All", String::as_str));
        let second = (row.keys.get(1), row.groups.get(1).map_or("", String::as_str));
        let (Some(c), Some(s)) = (
            categories.iter().position(|x| *x == cat),
            seconds.iter().position(|x| *x == second),
        ) else {
            continue;
        };
        for (code, v) in row.values.first().map(|v| v.points()).unwrap_or_default() {
            if let Some(k) = currencies.iter().position(|x| *x == code) {
                values[c][s * currencies.len() + k] = v;
            }
        }
    }
    Data {
        categories: categories.into_iter().map(|(_, l)| l.to_string()).collect(),
        series,
        values,
    }
}

/// Escapes text for SVG (XML) content and attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A long label cut for an axis (the full text is in the element's title).
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// `1.2k`, `3.4M`: axis numbers people read at a glance.
fn compact(n: f64) -> String {
    let a = n.abs();
    let (v, suffix) = if a >= 1e9 {
        (n / 1e9, "G")
    } else if a >= 1e6 {
        (n / 1e6, "M")
    } else if a >= 1e3 {
        (n / 1e3, "k")
    } else {
        (n, "")
    };
    let text = format!("{v:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text}{suffix}")
}

/// A round step for about five ticks over `span`.
fn nice_step(span: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Renders the chart; `None` for [`ChartKind::Table`] (no chart).
pub fn render_svg(result: &ReportResult, chart: ChartKind, title: &str) -> Option<String> {
    if chart == ChartKind::Table {
        return None;
    }
    let d = data(result);
    let mut out = String::new();
    let desc = format!(
        "{} chart of {} by {}",
        chart.as_str(),
        result.measures.first().map_or("", String::as_str),
        if result.group_by.is_empty() {
            "nothing".to_string()
        } else {
            result.group_by.join(" and ")
        }
    );
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}"><title>{t}</title><desc>{desc}</desc>"#,
        kind = chart.as_str(),
        label = esc(&format!("{title}: {desc}")),
        t = esc(title),
        desc = esc(&desc),
    );
    if d.categories.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" class="empty">No records match</text>"#,
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
    } else {
        match chart {
            ChartKind::Pie => pie(&mut out, &d),
            ChartKind::Line => axes_and(&mut out, &d, Shape::Line),
            ChartKind::Stacked => axes_and(&mut out, &d, Shape::Stacked),
            _ => axes_and(&mut out, &d, Shape::Bars),
        }
    }
    out.push_str("</svg>");
    Some(out)
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Bars,
    Stacked,
    Line,
}

fn axes_and(out: &mut String, d: &Data, shape: Shape) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for row in &d.values {
        if shape == Shape::Stacked {
            hi = hi.max(row.iter().filter(|v| **v > 0.0).sum());
            lo = lo.min(row.iter().filter(|v| **v < 0.0).sum());
        } else {
            for v in row {
                hi = hi.max(*v);
                lo = lo.min(*v);
            }
        }
    }
    let step = nice_step(hi - lo);
    let hi = (hi / step).ceil() * step;
    let lo = (lo / step).floor() * step;
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let plot_w = WIDTH - LEFT - RIGHT - if d.series.len() > 1 { 120.0 } else { 0.0 };
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h * (1.0 - (v - lo) / span);
    // Y axis: gridlines and tick labels.
    let _ = write!(out, r#"<g class="axis y" aria-hidden="true">"#);
    let mut tick = lo;
    let mut guard = 0;
    while tick <= hi + step / 2.0 && guard < 50 {
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" x2="{x2:.1}" y1="{yy:.1}" y2="{yy:.1}" class="grid"/><text x="{tx:.1}" y="{ty:.1}" text-anchor="end">{label}</text>"#,
            x2 = LEFT + plot_w,
            yy = y(tick),
            tx = LEFT - 6.0,
            ty = y(tick) + 4.0,
            label = esc(&compact(tick)),
        );
        tick += step;
        guard += 1;
    }
    out.push_str("</g>");
    let n = d.categories.len() as f64;
    let band = plot_w / n;
    let rotate = d.categories.len() > 8;
    // X axis labels.
    let _ = write!(out, r#"<g class="axis x">"#);
    for (i, cat) in d.categories.iter().enumerate() {
        let cx = LEFT + band * (i as f64 + 0.5);
        let ty = TOP + plot_h + 16.0;
        let label = esc(&short(cat, if rotate { 14 } else { 18 }));
        if rotate {
            let _ = write!(
                out,
                r#"<text x="{cx:.1}" y="{ty:.1}" text-anchor="end" transform="rotate(-40 {cx:.1} {ty:.1})"><title>{full}</title>{label}</text>"#,
                full = esc(cat)
            );
        } else {
            let _ = write!(
                out,
                r#"<text x="{cx:.1}" y="{ty:.1}" text-anchor="middle"><title>{full}</title>{label}</text>"#,
                full = esc(cat)
            );
        }
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" x2="{x2:.1}" y1="{y0:.1}" y2="{y0:.1}" class="baseline" aria-hidden="true"/>"#,
        x2 = LEFT + plot_w,
        y0 = y(0.0)
    );
    let _ = write!(out, r#"<g class="marks">"#);
    let s_count = d.series.len().max(1) as f64;
    for (i, (cat, row)) in d.categories.iter().zip(&d.values).enumerate() {
        let x0 = LEFT + band * i as f64 + band * 0.1;
        let inner = band * 0.8;
        let (mut up, mut down) = (0.0, 0.0);
        for (s, v) in row.iter().enumerate() {
            let color = PALETTE[s % PALETTE.len()];
            let name = &d.series[s];
            let tip = if d.series.len() > 1 {
                format!("{cat} · {name}: {}", crate::value::format_number(*v))
            } else {
                format!("{cat}: {}", crate::value::format_number(*v))
            };
            match shape {
                Shape::Bars => {
                    let w = inner / s_count;
                    let (top, bottom) = (y(v.max(0.0)), y(v.min(0.0)));
                    let _ = write!(
                        out,
                        r#"<rect x="{x:.1}" y="{top:.1}" width="{w:.1}" height="{h:.1}" fill="{color}"><title>{tip}</title></rect>"#,
                        x = x0 + w * s as f64,
                        w = (w - 1.0).max(1.0),
                        h = (bottom - top).max(0.0),
                        tip = esc(&tip),
                    );
                }
                Shape::Stacked => {
                    let (from, to) = if *v >= 0.0 {
                        let f = up;
                        up += v;
                        (f, up)
                    } else {
                        let f = down;
                        down += v;
                        (f, down)
                    };
                    let (top, bottom) = (y(from.max(to)), y(from.min(to)));
                    let _ = write!(
                        out,
                        r#"<rect x="{x0:.1}" y="{top:.1}" width="{inner:.1}" height="{h:.1}" fill="{color}"><title>{tip}</title></rect>"#,
                        h = (bottom - top).max(0.0),
                        tip = esc(&tip),
                    );
                }
                Shape::Line => {
                    let _ = write!(
                        out,
                        r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="3.5" fill="{color}"><title>{tip}</title></circle>"#,
                        cx = LEFT + band * (i as f64 + 0.5),
                        cy = y(*v),
                        tip = esc(&tip),
                    );
                }
            }
        }
    }
    if shape == Shape::Line {
        for s in 0..d.series.len() {
            let points: Vec<String> = d
                .values
                .iter()
                .enumerate()
                .map(|(i, row)| format!("{:.1},{:.1}", LEFT + band * (i as f64 + 0.5), y(row[s])))
                .collect();
            let _ = write!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2" aria-hidden="true"/>"#,
                points.join(" "),
                PALETTE[s % PALETTE.len()]
            );
        }
    }
    out.push_str("</g>");
    if d.series.len() > 1 {
        legend(out, &d.series, WIDTH - RIGHT - 112.0, None);
    }
}

fn legend(out: &mut String, series: &[String], x: f64, shares: Option<&[f64]>) {
    let _ = write!(out, r#"<g class="legend">"#);
    for (s, name) in series.iter().enumerate().take(14) {
        let ly = TOP + 4.0 + 18.0 * s as f64;
        let text = match shares {
            Some(sh) => format!("{} {:.0}%", short(name, 12), sh[s] * 100.0),
            None => short(name, 16),
        };
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{ly:.1}" width="10" height="10" fill="{color}" aria-hidden="true"/><text x="{tx:.1}" y="{ty:.1}"><title>{full}</title>{text}</text>"#,
            color = PALETTE[s % PALETTE.len()],
            tx = x + 14.0,
            ty = ly + 9.0,
            full = esc(name),
            text = esc(&text),
        );
    }
    out.push_str("</g>");
}

fn pie(out: &mut String, d: &Data) {
    // Shares of the first series; negative figures have no share.
    let values: Vec<f64> = d
        .values
        .iter()
        .map(|r| r.first().copied().unwrap_or(0.0).max(0.0))
        .collect();
    let total: f64 = values.iter().sum();
    if total <= 0.0 {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" class="empty">Nothing to share out</text>"#,
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return;
    }
    let (cx, cy, r) = (HEIGHT / 2.0, HEIGHT / 2.0, HEIGHT / 2.0 - 16.0);
    let shares: Vec<f64> = values.iter().map(|v| v / total).collect();
    let mut angle = -std::f64::consts::FRAC_PI_2;
    let _ = write!(out, r#"<g class="marks">"#);
    for (i, (cat, share)) in d.categories.iter().zip(&shares).enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let tip = format!(
            "{cat}: {} ({:.1}%)",
            crate::value::format_number(values[i]),
            share * 100.0
        );
        if *share >= 0.9999 {
            let _ = write!(
                out,
                r#"<circle cx="{cx}" cy="{cy}" r="{r}" fill="{color}"><title>{}</title></circle>"#,
                esc(&tip)
            );
            continue;
        }
        if *share <= 0.0 {
            continue;
        }
        let end = angle + share * std::f64::consts::TAU;
        let (x1, y1) = (cx + r * angle.cos(), cy + r * angle.sin());
        let (x2, y2) = (cx + r * end.cos(), cy + r * end.sin());
        let large = u8::from(*share > 0.5);
        let _ = write!(
            out,
            r#"<path d="M{cx:.1},{cy:.1} L{x1:.1},{y1:.1} A{r:.1},{r:.1} 0 {large} 1 {x2:.1},{y2:.1} Z" fill="{color}"><title>{}</title></path>"#,
            esc(&tip)
        );
        angle = end;
    }
    out.push_str("</g>");
    legend(out, &d.categories, HEIGHT + 24.0, Some(&shares));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{MeasureValue, ReportRow};

    fn result(labels: &[&str]) -> ReportResult {
        ReportResult {
            object: "deals".into(),
            group_by: vec!["Stage".into()],
            measures: vec!["Count".into()],
            rows: labels
                .iter()
                .enumerate()
                .map(|(i, l)| ReportRow {
                    keys: vec![GroupKey::Other(l.to_string())],
                    groups: vec![l.to_string()],
                    values: vec![MeasureValue::Count(i as u64 + 1)],
                })
                .collect(),
            totals: vec![MeasureValue::Count(3)],
            records: 3,
        }
    }

    #[test]
    fn labels_are_escaped_and_every_chart_has_a_title_and_per_mark_titles() {
        let r = result(&["<script>alert(1)</script>", "A & B"]);
        for kind in [ChartKind::Bar, ChartKind::Stacked, ChartKind::Line, ChartKind::Pie] {
            let svg = render_svg(&r, kind, "Deals \"by\" stage").unwrap();
            assert!(!svg.contains("<script>"), "{kind}: {svg}");
            assert!(svg.contains("&lt;script&gt;"), "{kind}");
            assert!(svg.contains("A &amp; B"), "{kind}");
            assert!(svg.contains("<title>Deals &quot;by&quot; stage</title>"), "{kind}");
            assert!(svg.contains(r#"role="img""#), "{kind}");
            assert!(svg.matches("<title>").count() >= 3, "{kind}");
        }
        assert_eq!(render_svg(&r, ChartKind::Table, "t"), None);
    }

    #[test]
    fn an_empty_result_says_so_instead_of_drawing_nothing() {
        let svg = render_svg(&result(&[]), ChartKind::Bar, "t").unwrap();
        assert!(svg.contains("No records match"));
    }
}
