import { escapeHtml } from './escape-html.js';
import { PAIR_ROW_FIXED, type PairsTableData } from './pairs-table-data.js';
import { REPORT_CSS } from './report-style.js';

/**
 * pairs.html: every pair of the evaluation in one table, sortable by any column and shown a page of
 * rows at a time, so that 12,000 pairs open and sort at once (the rows are JSON in the page; only
 * the shown page is ever in the DOM). Each row's mask thumbnail is the mask file itself, referenced
 * in the run folder's masks/ and loaded lazily: the page lives in the run folder and needs nothing
 * beyond it, no network. Pairs of the report's drill-down link to their pictures there. No I/O.
 */
export interface PairsPageInput {
  readonly title: string;
  /** The report, relative to this page: drill-down pairs link to its #pair-NNNNN anchors. */
  readonly reportHref: string;
  /** The table, or why there is none (the page then says so, and how to get one). */
  readonly table: PairsTableData | { readonly unavailable: string };
}

/** Rows per page at first; the page offers others. */
export const PAIRS_PER_PAGE = 100;
const PAGE_SIZES = [50, 100, 250, 1000];

const PAIRS_CSS = `.controls{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.6rem 0}.controls button{font:inherit}
table.pairs td,table.pairs th{padding:.15rem .4rem}table.pairs thead th[data-col]{cursor:pointer;user-select:none}
table.pairs th[aria-sort=ascending]::after{content:" \\25B2"}table.pairs th[aria-sort=descending]::after{content:" \\25BC"}
table.pairs td.text{white-space:nowrap}table.pairs td.mask{padding:1px}table.pairs td.mask img{display:block;width:40px;height:40px;image-rendering:pixelated;outline:1px solid #ccc}
table.pairs tbody tr:nth-child(even){background:#fafafa}`;

export function renderPairsPage(input: PairsPageInput): string {
  const head = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>
${REPORT_CSS}${PAIRS_CSS}
</style></head><body>
<h1>${escapeHtml(input.title)}</h1>
`;
  const back = `<a href="${escapeHtml(input.reportHref)}">the report</a>`;
  if ('unavailable' in input.table) {
    return `${head}<p id="pairs-unavailable">No table of pairs: ${escapeHtml(input.table.unavailable)}</p>
<p>Back to ${back}.</p>
</body></html>
`;
  }
  const data = input.table;
  const fixed = PAIR_ROW_FIXED.length;
  const metricHeads = data.models.flatMap((model, m) =>
    data.metrics.map(
      (metric, i) =>
        `<th data-col="${fixed + m * data.metrics.length + i}" title="${escapeHtml(`${model}: ${data.titles[metric]}, ${data.directions[metric]} is better`)}">${escapeHtml(data.labels[metric])}</th>`,
    ),
  );
  const groups = data.groups.map((g, i) => `<option value="${i}">${escapeHtml(g.bin)} ${g.border === 'border' ? 'border' : 'no border'}</option>`);
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `${head}<p>${data.rows.length} (image, mask) pairs, ${data.models.map((m) => escapeHtml(m)).join(', ')}: metrics of the composite output of each pair (L1 x100 in the holes and over the whole image, PSNR in dB; hover a header for more). Click a column's header to sort by it, again to reverse; equal values keep pair order. Each mask is the file in this run's masks/ (white: known, black: hole). Pairs with pictures link to them in ${back}'s drill-down.</p>
<div class="controls">
<label>bin and subset <select id="group"><option value="-1">all</option>${groups.join('')}</select></label>
<label><input type="checkbox" id="drilldown-only"> drill-down pairs only</label>
<label>rows per page <select id="page-size">${PAGE_SIZES.map((n) => `<option value="${n}"${n === PAIRS_PER_PAGE ? ' selected' : ''}>${n}</option>`).join('')}</select></label>
<button type="button" id="first">&laquo; first</button><button type="button" id="prev">&lsaquo; previous</button>
<span id="status" aria-live="polite"></span>
<button type="button" id="next">next &rsaquo;</button><button type="button" id="last">last &raquo;</button>
</div>
<div class="table-wrap"><table id="pairs" class="pairs"><thead>
<tr><th rowspan="2" data-col="0">pair</th><th rowspan="2" data-col="1">bin, subset</th><th rowspan="2" data-col="2">hole ratio</th><th rowspan="2">mask</th><th rowspan="2" data-col="4">drill-down</th>${data.models.map((m) => `<th colspan="${data.metrics.length}">${escapeHtml(m)}</th>`).join('')}</tr>
<tr>${metricHeads.join('')}</tr>
</thead><tbody></tbody></table></div>
<noscript><p>This table needs JavaScript to show, sort and page its rows.</p></noscript>
<script id="pairs-data" type="application/json">${json}</script>
<script>${pairsScript(input.reportHref)}</script>
</body></html>
`;
}

/** Filters, sorts and shows one page of rows; kept small and dependency-free. */
function pairsScript(reportHref: string): string {
  return `(function(){
var data=JSON.parse(document.getElementById('pairs-data').textContent);
var rows=data.rows,F=${PAIR_ROW_FIXED.length},NM=data.metrics.length,report=${JSON.stringify(reportHref)};
var state={col:0,dir:1,page:0,size:${PAIRS_PER_PAGE},group:-1,drilldownOnly:false},view=[];
var body=document.querySelector('#pairs tbody'),status=document.getElementById('status');
function esc(s){return String(s).replace(/[&<>"']/g,function(c){return{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
function id(k){return 'pair-'+String(k).padStart(5,'0');}
function group(g){var x=data.groups[g];return x.bin+' '+(x.border==='border'?'border':'no border');}
function compare(a,b){var x=a[state.col],y=b[state.col];
  if(x===y)return a[0]-b[0];if(x===null)return 1;if(y===null)return -1;
  return (x<y?-1:1)*state.dir;}
function pages(){return Math.max(1,Math.ceil(view.length/state.size));}
function refresh(){
  view=rows.filter(function(r){return (state.group<0||r[1]===state.group)&&(!state.drilldownOnly||r[4]===1);});
  view.sort(compare);
  render();}
function render(){
  state.page=Math.max(0,Math.min(state.page,pages()-1));
  var start=state.page*state.size,end=Math.min(view.length,start+state.size),html=[];
  for(var i=start;i<end;i++){var r=view[i],k=r[0],cells=[];
    cells.push('<th scope="row">'+k+'</th><td class="text">'+esc(group(r[1]))+'</td><td>'+r[2].toFixed(4)+'</td>');
    cells.push('<td class="mask"><img loading="lazy" decoding="async" width="40" height="40" alt="mask of pair '+k+'" src="'+esc(encodeURI(data.masksDir+'/'+r[3]))+'"></td>');
    cells.push(r[4]===1?'<td class="text"><a href="'+esc(report)+'#'+id(k)+'">pictures</a></td>':'<td></td>');
    for(var c=F;c<r.length;c++){var v=r[c],metric=data.metrics[(c-F)%NM];cells.push('<td>'+(v===null?'-':v.toFixed(data.digits[metric]))+'</td>');}
    html.push('<tr data-k="'+k+'">'+cells.join('')+'</tr>');}
  body.innerHTML=html.join('');
  status.textContent=view.length===0?'no pairs':'pairs '+(start+1)+'\\u2013'+end+' of '+view.length+' (page '+(state.page+1)+' of '+pages()+')';
  document.querySelectorAll('#pairs th[data-col]').forEach(function(th){
    var col=Number(th.getAttribute('data-col'));
    if(col===state.col)th.setAttribute('aria-sort',state.dir>0?'ascending':'descending');else th.removeAttribute('aria-sort');});}
document.querySelectorAll('#pairs th[data-col]').forEach(function(th){th.addEventListener('click',function(){
  var col=Number(th.getAttribute('data-col'));
  if(col===state.col)state.dir=-state.dir;else{state.col=col;state.dir=1;}
  state.page=0;refresh();});});
document.getElementById('group').addEventListener('change',function(e){state.group=Number(e.target.value);state.page=0;refresh();});
document.getElementById('drilldown-only').addEventListener('change',function(e){state.drilldownOnly=e.target.checked;state.page=0;refresh();});
document.getElementById('page-size').addEventListener('change',function(e){state.size=Number(e.target.value);state.page=0;render();});
document.getElementById('first').addEventListener('click',function(){state.page=0;render();});
document.getElementById('prev').addEventListener('click',function(){state.page--;render();});
document.getElementById('next').addEventListener('click',function(){state.page++;render();});
document.getElementById('last').addEventListener('click',function(){state.page=pages()-1;render();});
refresh();
})();`;
}
