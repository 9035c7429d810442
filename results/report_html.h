// The leaderboard page: one self-contained static HTML file over runs of the results database.
//
// The page holds, with nothing fetched from the network (styles, scripts, data and the chart
// library are all inline):
//   - <table id="leaderboard">: one row per run (<tr data-run="ID">: id, name, model, backend,
//     date), and for each pack three cells <td class="pass1|consn|passn" data-run="ID"
//     data-pack="PACK" data-value="FRACTION">: pass@1 in percent with its 95% interval, cons@n and
//     pass@n. Rendered server-side, so it reads the same with or without JavaScript; clicking a
//     header sorts by that column. Pack "*" (the whole run) is shown as "(all)".
//   - charts, per pack: pass@k against k (one line per run) and a histogram of response lengths
//     (completion tokens, or characters when a sample's token count is unknown);
//   - per pack, <details class="pack"> with <table class="problems">: task id, gold answer and
//     correct/n per run; clicking a problem shows its prompt and, for each run, its first samples
//     (completion, extracted answer, verdict, reason): at most 8, each completion cut at 4,000
//     bytes (the prompt at 8,000) with "(truncated)" shown, and fewer and shorter ones when the
//     page would otherwise carry more than 32 MiB of transcripts. Opening the page with
//     #expand-all in its URL opens every pack and problem.
// Everything read from the database (task text, model output) is untrusted: it is HTML-escaped in
// the markup and carried in <script type="application/json"> blocks with every '<' written as
// \u003c, and the page script inserts it as text only. When the page script has run,
// <body data-rendered="ok">.
//
// Cost: one streamed pass over each run's samples (Store::for_each_sample, text cut at 4,000
// bytes), so peak memory is the page plus a few numbers per sample (counts and lengths for the
// histograms), not the samples' text; the page grows with problems x runs and packs, not with
// samples. While a run is streamed the Store's lock is held (other users of the Store wait).
//
// Failures: an unknown run id is NotFound, a database error is passed on, a file that cannot be
// written is IOError naming `path`. The page is written to `path`.tmp and renamed, so a failed
// call never leaves a partial page at `path`. Thread-safety: no shared state; as thread-safe as
// the borrowed Store (which serialises its own access).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"
#include "results/store.h"

namespace r1b::results {

// Writes the page for `run_ids`, in that order (an empty span means every run, by run id), creating
// the folder of `path` when it does not exist yet.
Status write_report_html(Store& store, std::span<const int64_t> run_ids, const std::string& path);

}  // namespace r1b::results
