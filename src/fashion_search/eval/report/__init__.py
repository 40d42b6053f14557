"""``fashion-search report``: one self-contained HTML page measuring the whole system on a catalog.

Sections (each can be skipped by name, see :data:`SECTIONS`):

* ``encoder``: the encoder figures of :func:`fashion_search.eval.encoder.evaluate_encoder` with its
  two baselines, on the photos the model held out of training when it records them;
* ``attributes``: per attribute, accuracy against weak labels of held-out photos (the tagger's own
  measurement, from :func:`fashion_search.attributes.job.tag_catalog`) and coverage;
* ``search``: precision@10 and nDCG@10 on the fixed query set, plain vs enriched descriptions,
  with the hybrid image weight and the keyword weight swept (:mod:`fashion_search.eval.search_quality`);
* ``scores``: the spread of the top-20 scores of text, image and recommendation queries and a
  per-query calibration check (:mod:`fashion_search.eval.score_spread`);
* ``space``: a PCA map of the image space coloured by category, and probes of the directions that
  separate formality, colour and price (:mod:`fashion_search.eval.space_map`);
* ``recommendations``: the Amazon Personalize offline protocol on synthetic shoppers against a
  popularity baseline, and the MMR sweep (:mod:`fashion_search.eval.rec_quality`).

The page (``report.html``), every figure as a PNG (``figures/``) and every number (``report.json``)
are written to the output folder. :func:`build_report` (:mod:`fashion_search.eval.report.build`)
assembles them; each section measures and renders in its own module.
"""

from fashion_search.eval.report.build import ReportResult, build_report
from fashion_search.eval.report.options import SECTIONS, ReportOptions

__all__ = ["SECTIONS", "ReportOptions", "ReportResult", "build_report"]
