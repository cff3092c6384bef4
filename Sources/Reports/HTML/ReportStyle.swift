/// The report's one stylesheet, inline: readable on screen, and on paper an A4 page per DUT section with the verdict
/// colours printed (a signed copy must show what the screen showed).
enum ReportStyle {
    static let css = """
    :root { color-scheme: light; }
    body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 13px; color: #24292f;
           background: #fff; margin: 24px auto; max-width: 1100px; padding: 0 16px; line-height: 1.4; }
    h1 { font-size: 22px; margin: 0 0 4px; }
    h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 2px solid #d0d7de; padding-bottom: 3px; }
    h3 { font-size: 14px; margin: 18px 0 6px; }
    table { border-collapse: collapse; margin: 6px 0 12px; }
    th, td { border: 1px solid #d0d7de; padding: 3px 7px; text-align: left; vertical-align: top; }
    th { background: #f6f8fa; font-weight: 600; }
    td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    table.facts th { width: 190px; }
    .verdict { font-weight: 700; text-align: center; white-space: nowrap; }
    .pass { background: #1a7f37; color: #fff; }
    .conditional-pass, .conditional-fail { background: #bf8700; color: #fff; }
    .fail { background: #cf222e; color: #fff; }
    .not-judged { background: #eaeef2; color: #24292f; }
    .banner { display: flex; gap: 12px; align-items: stretch; margin: 14px 0; }
    .banner div { padding: 10px 16px; border-radius: 4px; font-size: 16px; }
    .banner .complete { background: #eaeef2; }
    .warning { color: #cf222e; font-weight: 600; }
    .muted { color: #57606a; }
    code, .hash { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
    figure.plot { margin: 10px 0 18px; break-inside: avoid; }
    figure.plot svg { max-width: 100%; height: auto; font-family: inherit; }
    figcaption { font-size: 12px; color: #57606a; max-width: 640px; }
    p.no-plot { font-style: italic; color: #57606a; }
    .signatures { display: grid; grid-template-columns: 1fr 1fr; gap: 36px; margin-top: 18px; break-inside: avoid; }
    .signature .line { border-bottom: 1px solid #24292f; height: 34px; margin-bottom: 2px; }
    .signature .label { font-size: 11px; color: #57606a; margin-bottom: 10px; }
    @page { size: A4; margin: 14mm 12mm; }
    @media print {
      body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }
      * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
      section.dut { break-before: page; }
      h2, h3 { break-after: avoid; }
      tr { break-inside: avoid; }
      figure.plot svg { width: 100%; }
    }
    """
}
