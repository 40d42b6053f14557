"""Per-attribute figures of a fitted tagger, as typed rows for reports and the command line.

The tagger keeps what :func:`~fashion_search.attributes.selection.fit_tagger` measured on its
held-out test photos as a loose record (it is saved as JSON); :func:`attribute_figures` reads that
record into one :class:`AttributeFigures` per attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from fashion_search.attributes.tagger import HEAD, ZERO_SHOT, AttributeTagger


@dataclass(frozen=True, slots=True)
class AttributeFigures:
    """How one attribute measured against the weak labels of held-out products."""

    name: str
    method: str
    """The method kept (``"zero-shot"`` or ``"head"``)."""
    accuracy: float | None
    """Top-1 accuracy of the kept method on the labelled test products (None: no labelled one)."""
    coverage: float
    """Share of the test products the attribute applies to that got a value (confident enough)."""
    confident_accuracy: float | None
    """Accuracy of the values actually given (the labelled test products above the threshold)."""
    accuracy_by_source: dict[str, float]
    """Accuracy of the kept method per label source: ``name`` (the product name says it) and
    ``metadata`` (implied by usage or article type, which a method may learn from the kind alone)."""
    zero_shot_accuracy: float | None
    head_accuracy: float | None
    """None when no head could be trained (too few labels)."""
    majority_accuracy: float | None
    """Always answering the most common training label: the floor to beat."""
    majority_value: str | None
    n_test: int
    """Test products the attribute applies to."""
    n_test_labelled: int
    """Those of them with a weak label."""
    n_measured: int
    """Those of the labelled ones the attribute is given for (kinds with training labels): what the
    accuracies are measured on."""
    n_train_labels: int
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def figures_from_evaluation(name: str, method: str, evaluation: Mapping[str, Any]) -> AttributeFigures:
    """One attribute's figures from its evaluation record (see the selection module)."""
    kept: Mapping[str, Any] = evaluation.get(method, {})
    majority: Mapping[str, Any] = evaluation.get("majority", {})
    return AttributeFigures(
        name=name,
        method=method,
        accuracy=_float(kept.get("accuracy")),
        coverage=float(kept.get("coverage", 0.0)),
        confident_accuracy=_float(kept.get("confident_accuracy")),
        accuracy_by_source={str(k): float(v) for k, v in kept.get("accuracy_by_source", {}).items()},
        zero_shot_accuracy=_float(evaluation.get(ZERO_SHOT, {}).get("accuracy")),
        head_accuracy=_float(evaluation.get(HEAD, {}).get("accuracy")),
        majority_accuracy=_float(majority.get("accuracy")),
        majority_value=majority.get("value"),
        n_test=int(evaluation.get("n_test", 0)),
        n_test_labelled=int(evaluation.get("n_test_labelled", 0)),
        n_measured=int(kept.get("n_measured", 0)),
        n_train_labels=int(evaluation.get("n_train_labels", 0)),
        threshold=float(kept.get("threshold", 1.01)),
    )


def attribute_figures(tagger: AttributeTagger) -> list[AttributeFigures]:
    """Per attribute (in the tagger's order), what its held-out test products measured."""
    return [
        figures_from_evaluation(name, choice.method, choice.evaluation)
        for name, choice in tagger.choices.items()
    ]
