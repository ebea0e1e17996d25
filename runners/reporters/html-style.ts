// The HTML report's stylesheet and its script, which only hides and shows.

export const CSS = `
:root{--fg:#1d2125;--muted:#5c6670;--line:#d5dae0;--bg:#fff;--soft:#f5f7f9;--ok:#0b6b2a;--okbg:#e3f4e8;--bad:#a4161a;--badbg:#fde6e6;--mixbg:#eef6dc;--mix:#3f5a00;--skipbg:#fff3d1;--skip:#6b4d00;--emptybg:#f1f3f5;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0 auto;max-width:1240px;padding:1.5rem 1.5rem 3rem;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.6rem;margin:0 0 .4rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;padding-bottom:.25rem;border-bottom:2px solid var(--line)}h3{font-size:1rem;margin:.2rem 0}h4{font-size:.92rem;margin:.8rem 0 .3rem}
code,pre,.val{font-family:var(--mono);font-size:.86em}pre{margin:0;white-space:pre-wrap;word-break:break-all}
a{color:#0b57d0}.count{font-weight:400;color:var(--muted);font-size:.85em;margin-left:.4em}.none{color:var(--muted);font-style:italic}
.meta{display:flex;flex-wrap:wrap;gap:.2rem 1.4rem;margin:0 0 .6rem}.meta dt{color:var(--muted)}.meta dt::after{content:":"}.meta dd{margin:0 0 0 -1rem}
.verdict{font-size:1.05rem;padding:.55rem .8rem;border-radius:6px;margin:.4rem 0}.verdict.ok{background:var(--okbg);color:var(--ok)}.verdict.bad{background:var(--badbg);color:var(--bad)}
.summary{list-style:none;display:flex;flex-wrap:wrap;gap:.5rem;padding:0;margin:.6rem 0}
.tile{border:1px solid var(--line);border-radius:6px;padding:.35rem .8rem;min-width:6.2rem;background:var(--soft)}.tile .n{display:block;font-size:1.35rem;font-weight:700;font-variant-numeric:tabular-nums}.tile .l{color:var(--muted);font-size:.85rem}
.tile.hot{border-color:#e8a5a5;background:var(--badbg)}.tile.hot .n{color:var(--bad)}
nav{position:sticky;top:0;background:var(--bg);border-bottom:1px solid var(--line);padding:.45rem 0;z-index:2;display:flex;gap:1.1rem;flex-wrap:wrap}
.scroll{overflow-x:auto}table{border-collapse:collapse}caption{text-align:left;font-weight:600;padding:.3rem 0;color:var(--muted)}
th,td{border:1px solid var(--line);padding:.25rem .45rem;vertical-align:top;text-align:left}thead th{background:var(--soft)}
.matrix td.c{text-align:center;min-width:5.4rem;font-variant-numeric:tabular-nums;font-weight:600}.matrix td.c a{color:inherit}.matrix small{display:block;font-weight:400;font-size:.74rem}
.matrix th[scope=colgroup],.matrix thead th{text-align:center}.matrix .tot{border-left-width:2px;outline:none}.matrix tfoot td,.matrix tfoot th{border-top:2px solid #aab2bb}
.c.ok{background:var(--okbg);color:var(--ok)}.c.bad{background:var(--badbg);color:var(--bad)}.c.mixed{background:var(--mixbg);color:var(--mix)}.c.skip{background:var(--skipbg);color:var(--skip)}.c.empty{background:var(--emptybg);color:var(--muted)}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:0;font-size:.85rem;color:var(--muted)}.legend .c{display:inline-block;width:1.5em;text-align:center;border-radius:3px;font-weight:700}
#controls{position:sticky;top:2.4rem;z-index:1;background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem;margin:1.2rem 0 0;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
#q{font:inherit;font-family:var(--mono);padding:.25rem .45rem;width:22rem;max-width:100%;border:1px solid #8a949e;border-radius:4px}.togs{display:flex;gap:.6rem;flex-wrap:wrap}.tog{white-space:nowrap}#status{color:var(--muted);font-size:.88rem}
.badge{display:inline-block;font:700 .72rem/1.5 var(--mono);padding:0 .4em;border-radius:3px;color:#fff;background:#5c6670;vertical-align:1px}.badge.fail,.badge.error{background:#b3261e}.badge.xpass{background:#8e24aa}.badge.xfail{background:#7a5c00}.badge.skip{background:#8a6d00}.badge.pass{background:#0b6b2a}
.vec,.group,section{scroll-margin-top:9rem}.cellhead{margin:1.4rem 0 .4rem;font-family:var(--mono);font-size:.95rem;color:var(--muted)}
.vec{border:1px solid var(--line);border-left:4px solid #b3261e;border-radius:6px;padding:.7rem .9rem;margin:.6rem 0 1rem;background:var(--bg)}.vec[data-verdict=xfail]{border-left-color:#7a5c00}.vec[data-verdict=xpass]{border-left-color:#8e24aa}
.vid{font-size:.95rem;font-weight:600;word-break:break-all}.file{margin:.15rem 0;color:var(--muted);font-size:.85rem}.desc{margin:.3rem 0}.reason{margin:.3rem 0;padding:.3rem .5rem;background:var(--soft);border-radius:4px}.rtext{white-space:pre-wrap;word-break:break-word}
.steps{width:100%;margin:.5rem 0;font-size:.88rem}.steps td,.steps th{padding:.3rem .45rem}.steps tbody th{width:2rem;color:var(--muted)}.steps tr.mismatch td,.steps tr.mismatch th{background:var(--badbg)}
.arg{white-space:nowrap}.arg .k{color:var(--muted);font-family:var(--mono);font-size:.82em}.arg .k::after{content:" ="}.name{color:var(--muted);font-size:.82em}.alt{color:var(--muted);font-size:.82em}.alts{margin:0;padding-left:1.1rem}
.st{white-space:nowrap;color:var(--muted)}.st.bad{color:var(--bad);font-weight:700}.st.ok{color:var(--ok)}.unsup{color:var(--skip)}
.mm{border-top:1px dashed var(--line);margin-top:.6rem;padding-top:.2rem}.at{font-weight:400;color:var(--muted);font-size:.8rem;font-family:var(--mono)}
.hex,.pair{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0}.hex dt,.pair dt{color:var(--muted)}.hex dd,.pair dd{margin:0}.hex code{font-size:1rem;letter-spacing:.04em}
mark.hd{background:#ffd54f;color:#000;font-weight:700;text-decoration:underline}
.fieldlist{margin:.4rem 0;font-size:.88rem}.fieldlist th[scope=row]{font-family:var(--mono)}
.entryat{margin:.6rem 0 .2rem}.hint{margin:.4rem 0;color:var(--bad)}
.side{display:flex;flex-wrap:wrap;gap:.2rem 2.5rem;align-items:flex-start}.jdiff{margin:.4rem 0;font-size:.86rem}
.bits{table-layout:fixed;width:100%;max-width:1100px;margin:.6rem 0;font-family:var(--mono);font-size:.76rem}.bits th{width:5.2rem;font-family:system-ui,sans-serif;font-weight:600;color:var(--muted);background:var(--soft);padding:.15rem .3rem}
.bits td{padding:.1rem 0;text-align:center;border-color:#e3e7eb}.bits tbody+tbody tr:first-child>*{border-top:3px solid #aab2bb}
.bits .num td{color:var(--muted);font-size:.64rem;border:0}.bits td.field{border:1px solid #7d8791;background:#f4f6f8;font-weight:600;vertical-align:bottom;overflow:hidden;padding:.2rem 0}.bits td.field.gap{background:repeating-linear-gradient(135deg,#fafbfc 0 4px,#eef0f2 4px 8px)}
.bits td.vert span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;display:inline-block}
.bits td.field.diff{background:var(--badbg);color:var(--bad);border:2px solid var(--bad)}
.bits td.bit{border-left:1px solid #e3e7eb}.bits td.bit.diff{background:#c62828;color:#fff;font-weight:700}.bits td.mark{color:var(--bad);font-weight:700;font-size:.95rem}.bits .marks td{border:0}
.skips .n{text-align:right;font-variant-numeric:tabular-nums;font-weight:700;width:5rem}.ids{margin:.3rem 0;padding-left:1.2rem;columns:2 28rem;font-size:.85rem}
.problems{padding-left:1.2rem}.problems li{margin:.25rem 0}
details>summary{cursor:pointer}footer{margin-top:3rem;color:var(--muted);font-size:.8rem;border-top:1px solid var(--line);padding-top:.6rem}
@media print{nav,#controls{display:none!important}body{max-width:none;padding:0;font-size:11pt}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}.vec,.bits,.matrix{break-inside:avoid}a{color:inherit;text-decoration:none}}
`;

// Hides and shows only: the page is complete without it.
export const JS = `(function(){
var ctl=document.getElementById('controls');if(!ctl)return;ctl.hidden=false;
var all=function(s,r){return Array.prototype.slice.call((r||document).querySelectorAll(s));};
var items=all('.item'),groups=all('.group'),boxes=all('input[name=verdict]',ctl);
var q=document.getElementById('q'),chip=document.getElementById('cellchip'),status=document.getElementById('status'),xf=document.getElementById('xfailed');
var cell='';
function apply(){
var t=q.value.trim().toLowerCase(),on={},n=0;
boxes.forEach(function(b){on[b.value]=b.checked;});
items.forEach(function(el){var ok=on[el.dataset.verdict]&&(!t||el.dataset.id.toLowerCase().indexOf(t)>=0)&&(!cell||el.dataset.cell===cell);el.hidden=!ok;if(ok)n++;});
groups.forEach(function(g){g.hidden=!g.querySelector('.item:not([hidden])');});
chip.hidden=!cell;chip.querySelector('b').textContent=cell;
status.textContent=n+' of '+items.length+' listed vectors shown';
}
q.addEventListener('input',apply);
boxes.forEach(function(b){b.addEventListener('change',apply);});
document.getElementById('clearcell').addEventListener('click',function(){cell='';apply();});
all('a[data-cell]').forEach(function(a){a.addEventListener('click',function(){cell=a.dataset.cell;apply();if(xf&&xf.tagName==='DETAILS'&&xf.querySelector('.item:not([hidden])'))xf.open=true;});});
apply();
})();`;
