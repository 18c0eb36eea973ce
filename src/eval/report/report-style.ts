/**
 * The look of pconv-bench's pages (the run report, the comparison of runs): one stylesheet, inlined
 * in each page. No imports: the VS Code extension renders the report with it too.
 */
export const REPORT_CSS = `body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1rem 1.5rem;color:#1b1b1b;background:#fff}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ccc}h3{font-size:1.05rem;margin-top:1.4rem}h3 small{font-weight:normal;color:#555}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-variant-numeric:tabular-nums}th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:right}thead th{background:#f3f3f3;text-align:center}tbody th{text-align:left;white-space:nowrap}
td.text{text-align:left}td.best{font-weight:700}td.better{background:#e3f4e3}td.worse{background:#f8e1e1}.ci{display:block;font-size:.75em;color:#666}
.samples td{padding:2px}.samples img{image-rendering:pixelated;display:block}.lightbox{display:none}.lightbox:target{display:flex;position:fixed;inset:0;background:rgba(0,0,0,.85);align-items:center;justify-content:center;z-index:10}.lightbox:target img{width:min(90vw,90vh);height:auto;image-rendering:pixelated}
figure.chart{display:inline-block;margin:.5rem 1rem .5rem 0}figcaption{font-weight:600}canvas{max-width:100%}
footer{margin-top:3rem;font-size:.85rem;color:#333}footer pre{background:#f6f6f6;padding:.6rem;overflow:auto;max-height:28rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}
.table-wrap{overflow-x:auto}
.drilldown td{padding:2px;vertical-align:top;text-align:left}.drilldown tbody th{white-space:normal;min-width:7rem;max-width:10rem;vertical-align:top}.drilldown img{image-rendering:pixelated;display:block;outline:1px solid #ccc}.drilldown .m{display:block;font-size:.72em;font-weight:normal;color:#444;line-height:1.25}.drilldown .tags{display:block}.pick{display:block;width:fit-content;font-size:.72em;font-weight:normal;border-radius:3px;padding:0 .3em;margin:.15em 0}.pick.worst{background:#f8e1e1}.pick.best{background:#e3f4e3}.drilldown tr:target{outline:3px solid #1f77b4}
@media print{.lightbox{display:none!important}body{max-width:none}h2{break-before:auto}table,figure{break-inside:avoid}}
`;
