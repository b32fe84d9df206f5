// The report's one stylesheet (inlined in <style>): system fonts only, tabular numbers,
// responsive grids that fall back to one column on narrow screens, print-friendly.
export const REPORT_CSS = `
:root{--fg:#1b2330;--muted:#5b6675;--faint:#8a94a0;--line:#e2e6eb;--bg:#f4f6f9;--card:#fff;--accent:#0072B2;--good:#00795a;--bad:#b34700}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 28px 56px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:27px;line-height:1.2;margin:0;letter-spacing:-.015em}
h2{font-size:20px;margin:40px 0 4px;letter-spacing:-.01em;scroll-margin-top:12px}
h3{font-size:15px;margin:0 0 6px}
h4{font-size:13px;margin:14px 0 6px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
p{margin:4px 0 12px}
.sub,.caption{color:var(--muted)}
.caption{font-size:13.5px;margin:0 0 14px;max-width:78ch}
.eyebrow{font-size:12px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;color:var(--accent)}
header.top{display:flex;flex-wrap:wrap;justify-content:space-between;gap:12px 32px;align-items:flex-end;padding-bottom:18px;border-bottom:1px solid var(--line)}
.route{font-size:18px;color:var(--muted);margin-top:6px}
.route b{color:var(--fg)}
.route .arrow{color:var(--faint);padding:0 6px}
dl.meta{display:grid;grid-template-columns:auto auto;gap:2px 14px;margin:0;font-size:13px}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
nav.toc{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0 4px}
nav.toc a{font-size:13px;padding:3px 10px;border:1px solid var(--line);border-radius:999px;background:var(--card);color:var(--fg)}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;min-width:0}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:16px}
.stack>*+*{margin-top:16px}
.split{display:grid;grid-template-columns:minmax(280px,1fr) auto;gap:16px 28px;align-items:start}
.split>*{min-width:0}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin-top:20px}
.kpis>.kpi{flex:1 1 240px;max-width:440px}
.kpi .label{font-size:12.5px;color:var(--muted);font-weight:600}
.kpi .v{font-size:30px;font-weight:650;line-height:1.15;margin:4px 0 2px;font-variant-numeric:tabular-nums;letter-spacing:-.01em}
.kpi .v small{font-size:16px;font-weight:500;color:var(--muted)}
.kpi .d{font-size:13px;color:var(--muted)}
.up{color:var(--good);font-weight:600}.down{color:var(--bad);font-weight:600}
.tablewrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
thead th{font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;border-bottom:1.5px solid #cfd5dc;white-space:nowrap}
td.n,th.n{text-align:right;white-space:nowrap}
tbody tr:last-child td{border-bottom:none}
tr.sep td{border-top:1.5px solid #cfd5dc}
td.desc{color:var(--muted);font-size:13px;min-width:220px}
.best{font-weight:700}
.tag{display:inline-block;font-size:11px;font-weight:600;padding:1px 7px;border-radius:999px;background:#eef1f4;color:var(--muted);margin-left:6px;vertical-align:1px}
.tag.ours{background:#e3f0f8;color:#005a8c}
.barcell{display:flex;align-items:center;gap:8px;justify-content:flex-end}
.bar{width:90px;height:8px;background:#eef1f4;border-radius:4px;overflow:hidden;flex:none}
.bar i{display:block;height:100%;background:var(--accent);border-radius:4px}
svg.chart{width:100%;height:auto;display:block;overflow:visible}
svg .grid{stroke:#e9ecf0;stroke-width:1}
svg .axis{stroke:#9ba5b0;stroke-width:1}
svg .tick{font-size:11.5px;fill:#5b6675}
svg .axislabel{font-size:12.5px;fill:#3a4450}
svg .ref{stroke:#4a5560;stroke-width:1.2;stroke-dasharray:5 4}
svg .reflabel{font-size:11.5px;fill:#4a5560}
svg .mark{stroke:#c3cad2;stroke-width:1;stroke-dasharray:2 3}
svg .marklabel{font-size:10.5px;fill:#8a94a0}
svg .barlabel{font-size:13px;fill:#1b2330}
svg .barvalue{font-size:12.5px;fill:#3a4450;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;color:#3a4450;margin:0 0 8px}
.legend .item{display:inline-flex;align-items:center;gap:6px;white-space:nowrap}
.chartnote{font-size:12.5px;color:var(--faint);margin:6px 0 0}
table.cm{width:auto;border-collapse:separate;border-spacing:3px;font-size:13px}
table.cm th,table.cm td{border:none;padding:5px 8px}
table.cm td.cell{text-align:center;min-width:64px;border-radius:5px;white-space:nowrap}
table.cm td.cell small{display:block;font-size:11px;opacity:.8}
table.cm th.rowh{text-align:right;font-weight:600;color:var(--fg);font-size:13px;text-transform:none;letter-spacing:0;white-space:nowrap}
table.cm th.colh{text-align:center;font-weight:600;color:var(--fg);font-size:13px;text-transform:none;letter-spacing:0;white-space:nowrap;vertical-align:bottom}
table.cm .lbl{display:inline-block;max-width:14ch;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom}
table.cm th.colh .lbl{max-width:9ch}
table.cm .axis-t{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;font-weight:600}
.metricline{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:14px;margin:0 0 10px}
.metricline b{font-variant-numeric:tabular-nums}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f4;border-radius:5px;padding:2px 7px}
.empty,.note{color:var(--muted);font-size:13.5px;font-style:italic}
.warn{background:#fff6e5;border:1px solid #f0d9a8;color:#6b4a00;border-radius:8px;padding:8px 12px;font-size:13.5px;margin:14px 0}
details summary{cursor:pointer;color:var(--accent);font-size:14px}
pre{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f7f8fa;border:1px solid var(--line);border-radius:8px;padding:12px;overflow:auto;max-height:480px}
footer{margin-top:48px;padding-top:14px;border-top:1px solid var(--line);font-size:12.5px;color:var(--faint)}
@media (max-width:900px){.split{grid-template-columns:1fr}}
@media (max-width:720px){main{padding:16px 12px 40px}.grid2{grid-template-columns:1fr}h1{font-size:22px}.kpi .v{font-size:24px}td.desc{min-width:140px}}
@media print{body{background:#fff}main{max-width:none;padding:0}.card{break-inside:avoid;border-color:#ccc}nav.toc{display:none}h2{break-after:avoid}}
`;
