// Turns a run into the markdown that goes between the bench:traefik markers of docs/benchmarks.md
// and a hand-written SVG bar chart (throughput, and p50/p99 latency, per scenario).
import { traefikMicrosPerRequest, type RunInfo, type ScenarioResult, type SoakResult, type TargetCheck } from './results.js';

const mib = (kib: number) => (kib / 1024).toFixed(1);
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const rps = (value: number) => Math.round(value).toLocaleString('en-US');
const cores = (value: number | null) => (value === null ? '-' : value.toFixed(2));
const signedMs = (value: number) => `${value >= 0 ? '+' : '-'}${ms(Math.abs(value))}`;
const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');

export function markdownSection(run: RunInfo, scenarios: ScenarioResult[], soak: SoakResult | null, targets: TargetCheck[], chartFile: string): string {
  const lines: string[] = [];
  lines.push(
    `Run ${run.date}: Traefik ${run.traefikVersion}, wrk ${run.wrkVersion}, Node ${run.nodeVersion}, ${run.cores} cores shared with other work.`,
    `Load average (1, 5, 15 min) before: ${load(run.loadBefore)}; after: ${load(run.loadAfter)}.`,
    `wrk: ${run.threads} thread(s), ${run.connections} keep-alive connections, ${run.durationSeconds} s per scenario after a ${run.warmupSeconds} s warm-up; every scenario runs in a fresh Traefik.${run.unloadedSeconds > 0 ? ` After each, ${run.unloadedSeconds} s at 1 connection in the same Traefik (second table).` : ''}`,
    '',
    `Command: \`${run.command}\``,
    '',
    '| scenario | req/s | p50 ms | p99 ms | max ms | responses |',
    '|---|---:|---:|---:|---:|---|',
  );
  for (const s of scenarios) {
    const status = s.problems.length ? `**${s.problems.join('; ')}**` : `all ${s.expectedStatus === 200 ? '2xx' : String(s.expectedStatus)}`;
    lines.push(`| (${s.id}) ${s.title} | ${rps(s.wrk.requestsPerSecond)} | ${ms(s.wrk.p50Ms)} | ${ms(s.wrk.p99Ms)} | ${ms(s.wrk.maxMs)} | ${s.wrk.requests.toLocaleString('en-US')}, ${status} |`);
  }
  lines.push(
    '',
    '| scenario | Traefik RSS MiB: idle / before / after | CPU cores: Traefik / upstream / forwardAuth / wrk / others | Traefik CPU µs per request | 1 connection: req/s, p50 / p99 ms |',
    '|---|---|---|---:|---|',
  );
  for (const s of scenarios) {
    const unloaded = s.unloaded ? `${rps(s.unloaded.requestsPerSecond)}, ${ms(s.unloaded.p50Ms)} / ${ms(s.unloaded.p99Ms)}` : '-';
    lines.push(
      `| (${s.id}) | ${mib(s.rssKiB.idle)} / ${mib(s.rssKiB.before)} / ${mib(s.rssKiB.after)} | ${cores(s.cpu.traefik)} / ${cores(s.cpu.upstream)} / ${cores(s.cpu.forwardAuth)} / ${cores(s.cpu.wrk)} / ${cores(s.cpu.others)} | ${Math.round(traefikMicrosPerRequest(s))} | ${unloaded} |`,
    );
  }
  lines.push('', 'Scenarios:', '');
  for (const s of scenarios) lines.push(`- (${s.id}) ${s.detail}`);
  lines.push('', '| target (issue 3) | wanted | measured | met |', '|---|---|---|---|');
  for (const t of targets) lines.push(`| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
  const notes = diagnostics(scenarios);
  if (notes.length) lines.push('', 'Diagnostics (not targets):', '', ...notes.map((n) => `- ${n}`));
  if (soak) {
    lines.push(
      '',
      `Soak: scenario (b) for ${soak.seconds} s at ${soak.connections} connections: ${rps(soak.wrk.requestsPerSecond)} req/s, p50 ${ms(soak.wrk.p50Ms)} ms, p99 ${ms(soak.wrk.p99Ms)} ms${soak.problems.length ? ` (**${soak.problems.join('; ')}**)` : ''}.`,
      `Traefik RSS (MiB) every 5 s: ${soak.samples.map((x) => `${x.t} s ${mib(x.rssKiB)}`).join(', ')}.`,
      `Second-half peak vs first-half peak: ${soak.growthPercent >= 0 ? '+' : ''}${soak.growthPercent.toFixed(1)}% (${soak.flat ? 'flat' : 'not flat'}); least-squares slope over the second half: ${soak.slopeMiBPerMinute >= 0 ? '+' : ''}${soak.slopeMiBPerMinute.toFixed(1)} MiB/min${soak.guestStarts === null ? '' : `; guest instances started: ${soak.guestStarts}`}.`,
    );
  }
  lines.push('', `![Traefik benchmark: throughput and latency per scenario](${chartFile})`);
  return lines.join('\n');
}

/** Figures that separate the plugin's own cost from queueing and from the machine's load. */
function diagnostics(scenarios: ScenarioResult[]): string[] {
  const byId = new Map(scenarios.map((s) => [s.id, s]));
  const a = byId.get('a');
  const out: string[] = [];
  if (!a) return out;
  const perRequest = (s: ScenarioResult) => traefikMicrosPerRequest(s);
  for (const s of scenarios) {
    if (s.id === 'a') continue;
    let line = `(${s.id}) vs (a): Traefik CPU per request ${Math.round(perRequest(s))} vs ${Math.round(perRequest(a))} µs (${perRequest(s) >= perRequest(a) ? '+' : ''}${Math.round(perRequest(s) - perRequest(a))} µs)`;
    const w = byId.get('w');
    if (w && s.id !== 'w' && s.id !== 'd') {
      line += ` = wasm machinery (w - a) ${Math.round(perRequest(w) - perRequest(a))} µs + the plugin's own work (${s.id} - w) ${Math.round(perRequest(s) - perRequest(w))} µs`;
    }
    if (s.id === 'd' && s.cpu.forwardAuth !== null) line += `, plus ${Math.round((s.cpu.forwardAuth / s.wrk.requestsPerSecond) * 1e6)} µs in the Node forwardAuth service`;
    if (s.unloaded && a.unloaded) line += `; at 1 connection p50 ${ms(s.unloaded.p50Ms)} vs ${ms(a.unloaded.p50Ms)} ms (${signedMs(s.unloaded.p50Ms - a.unloaded.p50Ms)} ms), p99 ${ms(s.unloaded.p99Ms)} vs ${ms(a.unloaded.p99Ms)} ms`;
    out.push(`${line}.`);
  }
  const saturated = scenarios.filter((s) => s.cpu.machine >= 0.95 * s.cpu.cores).length;
  if (saturated) out.push(`In ${saturated} of ${scenarios.length} scenarios the machine's CPUs were busy >= 95% of the time: throughput is bounded by CPU, and 32 connections queue, so p50/p99 at 32 connections track throughput (Little's law: mean latency ~ connections / req/s).`);
  return out;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A rounded-up axis maximum (1, 2 or 5 times a power of ten) and its tick step. */
function niceScale(max: number): { top: number; step: number } {
  const raw = max > 0 ? max : 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const f of [1, 2, 5, 10]) {
    if (raw <= f * power) return { top: f * power, step: (f * power) / (f === 1 || f === 10 ? 5 : f === 2 ? 4 : 5) };
  }
  return { top: 10 * power, step: 2 * power };
}

interface Bar {
  value: number;
  label: string;
  color: string;
}

/** One panel: groups of bars (one group per scenario) over a labelled y axis. */
function panel(x: number, y: number, width: number, height: number, title: string, unit: string, groups: { name: string; bars: Bar[] }[]): string {
  const out: string[] = [];
  const left = x + 64;
  const plotWidth = width - 64 - 8;
  const top = y + 28;
  const plotHeight = height - 28 - 44;
  const max = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const { top: axisTop, step } = niceScale(max * 1.12);
  const yOf = (v: number) => top + plotHeight - (v / axisTop) * plotHeight;
  out.push(`<text x="${x}" y="${y + 14}" class="title">${escapeXml(title)}</text>`);
  for (let v = 0; v <= axisTop + step / 2; v += step) {
    const gy = yOf(v).toFixed(1);
    out.push(`<line x1="${left}" y1="${gy}" x2="${left + plotWidth}" y2="${gy}" class="grid"/>`);
    out.push(`<text x="${left - 6}" y="${gy}" class="tick" text-anchor="end" dominant-baseline="middle">${escapeXml(formatTick(v))}</text>`);
  }
  out.push(`<text x="${x}" y="${top + plotHeight / 2}" class="tick" transform="rotate(-90 ${x + 8} ${top + plotHeight / 2})" text-anchor="middle">${escapeXml(unit)}</text>`);
  const groupWidth = plotWidth / groups.length;
  groups.forEach((group, gi) => {
    const barWidth = Math.min(48, (groupWidth * 0.7) / group.bars.length);
    const start = left + gi * groupWidth + (groupWidth - barWidth * group.bars.length) / 2;
    group.bars.forEach((bar, bi) => {
      const bx = start + bi * barWidth;
      const by = yOf(bar.value);
      out.push(`<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(top + plotHeight - by).toFixed(1)}" fill="${bar.color}"><title>${escapeXml(`${group.name}: ${bar.label}`)}</title></rect>`);
      out.push(`<text x="${(bx + barWidth / 2 - 1).toFixed(1)}" y="${(by - 4).toFixed(1)}" class="value" text-anchor="middle">${escapeXml(bar.label)}</text>`);
    });
    const lines = group.name.split('\n');
    lines.forEach((line, li) => {
      out.push(`<text x="${(left + gi * groupWidth + groupWidth / 2).toFixed(1)}" y="${top + plotHeight + 16 + li * 13}" class="label" text-anchor="middle">${escapeXml(line)}</text>`);
    });
  });
  out.push(`<line x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}" class="axis"/>`);
  return out.join('\n');
}

function formatTick(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toFixed(1))}k`;
  return String(Number(v.toFixed(2)));
}

const SHORT: Record<string, string> = {
  a: '(a) no\nmiddleware',
  w: '(w) no-op\nwasm guest',
  b: '(b) plugin,\none token',
  'c-RS256': '(c) plugin,\nfresh RS256',
  'c-EdDSA': '(c) plugin,\nfresh EdDSA',
  d: '(d) forwardAuth\n(Node)',
  e: '(e) plugin,\nbad signatures',
};

export function chartSvg(run: RunInfo, scenarios: ScenarioResult[]): string {
  const width = 860;
  const panelHeight = 250;
  const height = 40 + panelHeight * 2 + 30;
  const groups = scenarios.map((s) => ({ id: s.id, name: SHORT[s.id] ?? s.id, wrk: s.wrk }));
  const body = [
    panel(16, 36, width - 32, panelHeight, 'Throughput (requests per second, higher is better)', 'req/s',
      groups.map((g) => ({ name: g.name, bars: [{ value: g.wrk.requestsPerSecond, label: rps(g.wrk.requestsPerSecond), color: g.id === 'a' || g.id === 'w' ? '#7f8c8d' : g.id === 'd' ? '#c0392b' : '#2e86c1' }] }))),
    panel(16, 36 + panelHeight, width - 32, panelHeight, 'Latency (ms, lower is better): p50 light, p99 dark', 'ms',
      groups.map((g) => ({ name: g.name, bars: [
        { value: g.wrk.p50Ms, label: ms(g.wrk.p50Ms), color: '#85c1e9' },
        { value: g.wrk.p99Ms, label: ms(g.wrk.p99Ms), color: '#1a5276' },
      ] }))),
  ];
  const caption = `Traefik ${run.traefikVersion}, wrk -t${run.threads} -c${run.connections} -d${run.durationSeconds}s, ${run.cores} shared cores, load average before ${run.loadBefore[0]!.toFixed(2)}; ${run.date}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    '<style>',
    '.title{font-size:14px;font-weight:600;fill:#222}.tick{font-size:11px;fill:#555}.label{font-size:11px;fill:#222}',
    '.value{font-size:10px;fill:#222}.grid{stroke:#e5e5e5;stroke-width:1}.axis{stroke:#888;stroke-width:1}.caption{font-size:11px;fill:#555}',
    '</style>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="22" class="title">mcpauth in Traefik: npm run bench:traefik</text>`,
    body.join('\n'),
    `<text x="16" y="${height - 10}" class="caption">${escapeXml(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
