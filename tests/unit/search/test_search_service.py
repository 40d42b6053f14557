"""SearchService on a small in-memory catalog embedded by the fake embedder (known colour/type axes)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fashion_search.domain import Filter, ImageStatus, Product, condition, where
from fashion_search.embed.descriptions import describe_product
from fashion_search.embed.fake import FAKE_COLOURS, FakeEmbedder
from fashion_search.errors import NotFoundError, ValidationError
from fashion_search.index.exact import ExactIndex
from fashion_search.search.brands import BrandIndex
from fashion_search.search.keyword import KeywordIndex
from fashion_search.search.service import SearchService, budget_of, check_page
from fashion_search.search.vocabulary import Facet, Vocabulary
from fashion_search.settings import RankingSettings

BRANDS = ("Puma", "Nike", "Red Tape", "Zara")
TYPES = (("Tshirts", "Tshirt"), ("Casual Shoes", "Shoes"), ("Jeans", "Jeans"), ("Dresses", "Dress"))
COLOURS = ("Black", "White", "Red", "Blue", "Green")


def catalog() -> list[Product]:
    out = []
    for i in range(80):
        brand = BRANDS[i % 4]
        article, noun = TYPES[(i // 4) % 4]
        colour = COLOURS[i % 5]
        gender = "Women" if article == "Dresses" else ("Men" if i % 2 else "Women")
        out.append(
            Product(
                id=100 + i,
                name=f"{brand} {gender} {colour} {noun}",
                gender=gender,
                article_type=article,
                base_colour=colour,
                price=float(10 + (i * 7) % 90),
                # every tenth product has no photo
                image_status=ImageStatus.MISSING if i % 10 == 9 else ImageStatus.PRESENT,
            )
        )
    return out


def photo(colour: str) -> Image.Image:
    image = Image.new("RGB", (64, 64), (255, 255, 255))
    image.paste(FAKE_COLOURS[colour], (12, 12, 52, 52))
    return image


@pytest.fixture(scope="module")
def service() -> SearchService:
    products = catalog()
    embedder = FakeEmbedder(64)
    index = ExactIndex(model=embedder.name)
    index.upsert_products(products)
    ids = [p.id for p in products]
    text = embedder.embed_texts([describe_product(p) for p in products])
    index.upsert("text", ids, text)
    with_photo = [p for p in products if p.image_status is ImageStatus.PRESENT]
    images = embedder.embed_images([photo(str(p.base_colour)) for p in with_photo])
    index.upsert("image", [p.id for p in with_photo], images)
    hybrid = text.copy()
    rows = [ids.index(p.id) for p in with_photo]
    hybrid[rows] = 0.5 * text[rows] + 0.5 * images
    index.upsert("hybrid", ids, hybrid)
    vocab = Vocabulary.from_products(products)
    return SearchService(
        index,
        lambda: embedder,
        KeywordIndex.build({p.id: describe_product(p) for p in products}),
        vocab,
        BrandIndex(products, vocab.values(Facet.BRAND)),
        lambda: pytest.fail("no user was asked for"),
        RankingSettings(),
    )


def names(page: object) -> list[str]:
    return [item.product.name for item in page.items]  # type: ignore[attr-defined]


def test_brands_are_learned_from_names_and_restrict_results(service: SearchService) -> None:
    assert service.brands.brands() == sorted(BRANDS)
    page = service.text("Red Tape", k=30)
    assert page.query["brand"] == ["Red Tape"] and page.query["brand_applied"] is True
    assert page.total == 20 and len(page.items) == 20
    assert all(n.startswith("Red Tape ") for n in names(page))


def test_a_brand_with_nothing_in_the_filtered_set_is_only_a_keyword(service: SearchService) -> None:
    page = service.text("Puma", k=5, where=where(base_colour="Purple"))
    assert page.items == [] and page.query["brand_applied"] is False
    assert page.total == 0 and page.note.startswith(
        "no product matches the filters {'base_colour': 'Purple'}"
    )
    page = service.text("Puma jeans", k=5, where=where(gender="Women"))
    assert page.query["brand_applied"] is True
    assert all(n.startswith("Puma Women") and n.endswith("Jeans") for n in names(page))


def test_words_become_filters_and_explicit_ones_win(service: SearchService) -> None:
    page = service.text("red dress under 60", k=50)
    assert all(i.product.base_colour == "Red" and i.product.article_type == "Dresses" for i in page.items)
    assert all((i.product.price or 0) < 60 for i in page.items)
    assert all(i.reason.endswith("within your budget of $60") for i in page.items)
    page = service.text("red dress", k=50, where=where(base_colour="Blue"))
    assert page.items and all(i.product.base_colour == "Blue" for i in page.items)
    assert page.query["filters"] == {"article_type": "Dresses", "base_colour": "Blue"}


def test_keyword_fusion_brings_exact_words_up(service: SearchService) -> None:
    off = service.text("Green", k=10, keyword_weight=0.0, where=where(article_type="Jeans"))
    on = service.text("Green", k=10, keyword_weight=1.0, where=where(article_type="Jeans"))
    # "Green" is a colour word, so it is a filter too; every result is green either way.
    assert all(i.product.base_colour == "Green" for i in [*off.items, *on.items])
    assert all("keyword_rank" not in i.signals for i in off.items)
    assert all(i.signals["keyword_rank"] is not None for i in on.items)
    assert on.items[0].breakdown.visual == pytest.approx(1.0)


def test_image_search_finds_the_colour_and_skips_products_without_photos(service: SearchService) -> None:
    page = service.image(photo("Red"), k=10)
    assert all(i.product.base_colour == "Red" for i in page.items[:5])
    assert all(i.product.image_status is ImageStatus.PRESENT for i in page.items)
    with pytest.raises(ValidationError, match="image must be encoded bytes"):
        service.image("red.jpg", k=3)  # type: ignore[arg-type]


def test_hybrid_text_weight_moves_between_the_two(service: SearchService) -> None:
    text_heavy = service.hybrid("white", photo("Black"), text_weight=1.0, k=8, space="hybrid")
    image_heavy = service.hybrid(None, photo("Black"), text_weight=0.0, k=8, space="hybrid")
    assert all(i.product.base_colour == "White" for i in text_heavy.items)
    assert sum(i.product.base_colour == "Black" for i in image_heavy.items) >= 6
    with pytest.raises(ValidationError, match="text, an image, or both"):
        service.hybrid(None, None)
    with pytest.raises(ValidationError, match="text_weight"):
        service.hybrid("white", None, text_weight=1.5)


def test_similar_uses_the_photo_or_falls_back_to_hybrid(service: SearchService) -> None:
    with_photo, without = 100, 109
    page = service.similar(with_photo, k=5)
    assert page.query["space"] == "image" and with_photo not in [i.product.id for i in page.items]
    page = service.similar(without, k=5)
    assert page.query["space"] == "hybrid" and without not in [i.product.id for i in page.items]
    with pytest.raises(ValidationError, match="no vector in space 'image'"):
        service.similar(without, space="image")
    with pytest.raises(NotFoundError):
        service.similar(5)


def test_filters_apply_before_top_k(service: SearchService) -> None:
    rare = Filter((condition("price", ">=", 95.0),))
    expected = sum(rare.matches(p) for p in catalog())
    page = service.text("something nice", k=50, where=rare)
    assert 0 < expected == page.total
    assert len(page.items) == expected


def test_page_and_budget_helpers() -> None:
    check_page(100, 900)
    for k, offset in ((0, 0), (101, 0), (10, -1), (10, 991), (True, 0)):
        with pytest.raises(ValidationError):
            check_page(k, offset)
    assert budget_of(None) is None
    filt = Filter(
        (condition("price", "<", 50.0), condition("price", "<=", 40.0), condition("price", ">", 5.0))
    )
    assert budget_of(filt) == 40.0


def test_bad_input_is_named(service: SearchService) -> None:
    with pytest.raises(ValidationError, match="empty"):
        service.text("   ")
    with pytest.raises(ValidationError, match="longer than 1000"):
        service.text("x" * 1001)
    with pytest.raises(ValidationError, match="unknown space 'audio'"):
        service.text("shirt", space="audio")
    with pytest.raises(ValidationError, match="keyword_weight"):
        service.text("shirt", keyword_weight=2.0)


def test_scores_follow_the_formula_without_a_user(service: SearchService) -> None:
    page = service.text("blue jeans", k=10)
    for item in page.items:
        assert item.breakdown.user == 0.0 and item.breakdown.attribute == 0.0
        assert item.score == pytest.approx(0.5 * item.breakdown.visual)
    scores = [i.score for i in page.items]
    assert scores == sorted(scores, reverse=True)
    assert np.isfinite(scores).all()
