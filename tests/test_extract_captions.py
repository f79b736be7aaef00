"""Image captions stay with their image and out of the body text."""

from __future__ import annotations

from newsbot.extract import extract_article

PARA = "今年以来，全区新建标准化种植基地26个，发展订单农业4.3万亩，农产品加工企业达到87家。"


def page(middle: str) -> str:
    body = f"<p>{PARA}</p>" * 3 + middle + f"<p>{PARA}</p>" * 3
    return f"<html><head><title>测试标题_阳泉</title></head><body><div>{body}</div></body></html>"


def test_centred_line_below_a_picture_is_its_caption() -> None:
    html = page(
        '<p style="text-align:center"><img src="/a.jpg" width="600"></p>'
        '<p style="text-align:center">盂县梁家寨乡食用菌种植基地，村民正在采收香菇。</p>'
    )
    result = extract_article(html, "http://example.test/x/1.html")
    assert result.image_captions == ("盂县梁家寨乡食用菌种植基地，村民正在采收香菇。",)
    assert "香菇" not in result.text
    assert result.lead_image == "http://example.test/a.jpg"


def test_credited_line_after_a_picture_is_a_caption_even_when_not_centred() -> None:
    html = page(
        '<p><img src="a.jpg"></p><p>党员志愿者在社区开展政策宣讲。 图片由市直机关工委提供</p>'
    )
    result = extract_article(html, "http://example.test/x/2.html")
    assert result.image_captions == ("党员志愿者在社区开展政策宣讲。 图片由市直机关工委提供",)


def test_figcaption() -> None:
    html = page(
        '<figure><img src="b.png"><figcaption>冠山镇党员在田间课堂学习</figcaption></figure>'
    )
    result = extract_article(html, "http://example.test/x/3.html")
    assert result.image_captions == ("冠山镇党员在田间课堂学习",)
    assert "田间课堂" not in result.text


def test_paragraph_sharing_a_block_with_a_picture_stays_body() -> None:
    text = "截至目前，已开工小区31个。预计10月底前全部完工。"
    html = page(f'<p><img src="c.jpg" width="500">{text}</p>')
    result = extract_article(html, "http://example.test/x/4.html")
    assert text in result.paragraphs
    assert result.image_captions == ()


def test_icons_and_avatars_do_not_make_captions() -> None:
    line = "网友张先生说得好"
    html = page(f'<p><img src="/images/avatar_12.png" width="40">{line}</p><p>{line}</p>')
    result = extract_article(html, "http://example.test/x/5.html")
    assert result.image_captions == ()
    assert result.lead_image is None
