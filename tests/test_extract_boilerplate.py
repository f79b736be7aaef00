"""Boilerplate rules: furniture lines go, body sentences that merely mention the same words stay."""

from __future__ import annotations

import pytest

from newsbot.extract import extract_article
from newsbot.extract.boilerplate import end_marker, is_boilerplate_line

FURNITURE = [
    "版权声明",
    "本文地址：http://www.shanxidayuan.com/gsyl/yangquan/5849.html",
    "本文仅代表作者观点，不代表本站立场。",
    "本文系作者授权发表，未经许可，不得转载。",
    "留言与评论（共有 条评论）",
    "验证码：",
    "关于山西大院新闻网",
    "关于我们",
    "Copyright ©山西大院新闻网",
    "copyright protection: All articles, text, video, pictures, music sources and network",
    "上一篇：阳泉高新区新增国家高新技术企业12家",
    "下一篇：没有了",
    "分享到：微信 新浪微博 QQ空间",
    "相关文章",
    "相关阅读：",
    "（责任编辑：王晓燕）",
    "[责任编辑：zhangyuan] 标签：陈绍华 孩子王 辟邪",
    "当前位置：首页 > 各市要闻 > 阳泉 > 正文",
    "网络编辑 阳泉 2022-07-06 10:10:33 0 高新区 党建 园区",
    "来源：新华网 2012-01-17 08:12",
    "晋ICP备12345678号",
    "• 凡注明为其他媒体来源的信息，均为转载自其他媒体，并不代表本网赞同其观点。",
    "电话：021-52921234 传真：021-62677000",
    "[打印] [关闭]",
    "免责声明：本文仅代表作者个人观点，与本网无关。",
]

BODY = [
    "高新区多渠道征集群众意见，累计征集各方意见建议约500条。",
    "关于进一步加强基层党组织建设的实施意见已于近日印发，全区175个党组织划归至8个党委。",
    "该公司负责人表示，将依法维护企业的版权和商标权益，去年共处理侵权案件12起。",
    "网友评论称，这项改革让办事群众少跑了腿，满意率达到99.6%。",
    "联系电话：0353-2021234，欢迎广大市民监督举报。",
    "分享到朋友圈的照片里，村民们正在采收香菇，户均增收6800元。",
    "上一篇文章中我们提到的三个课堂，今年已培训农村党员2400余人次。",
    "责任编辑部门负责人介绍，全年共完成审核稿件3.2万篇，比上年增加了1.1万篇，差错率下降到万分之三以下。",
    "7月1日，高新区组织开展“喜迎二十大，奋进新征程”纪念建党101周年主题党日活动。",
]


@pytest.mark.parametrize("line", FURNITURE)
def test_furniture_lines_are_recognised(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize("line", BODY)
def test_body_sentences_are_kept(line: str) -> None:
    assert not is_boilerplate_line(line)
    assert end_marker(line) is None


def test_end_markers() -> None:
    assert end_marker("留言与评论（共有 条评论）") == "hard"
    assert end_marker("发表于 2004年12月27日 12:40 - (阅读:3727;评论:63)") == "hard"
    assert end_marker("相关新闻：") == "soft"
    assert end_marker("上一篇：盂县“五个一批”") == "soft"


def test_related_box_in_the_middle_keeps_the_rest_of_the_article() -> None:
    para = "该区今年新建标准化种植基地26个，发展订单农业4.3万亩，全县农产品加工企业达到87家。"
    html = (
        "<html><body><div class='nav'><a href='#'>首页</a> <a href='#'>阳泉</a></div><div>"
        + f"<p>{para}</p>" * 3
        + "<p>相关新闻：</p><p><a href='#'>盂县推进乡村振兴</a></p>"
        + f"<p>{para.replace('26', '27')}</p>" * 4
        + "<div class='copyright-box'><p>版权声明</p><p>本文地址：http://x/1.html</p></div>"
        + "</div></body></html>"
    )
    page = extract_article(html, "http://example.test/1.html")
    assert len(page.paragraphs) == 7
    assert all("版权" not in p and "相关" not in p for p in page.paragraphs)


def test_short_body_lines_between_paragraphs_survive() -> None:
    para = "截至目前，高新区累计摸底合同367份，需清理合同78份，已清理合同52份。"
    html = (
        "<html><body><div><h1>标题</h1>"
        + f"<p>{para}</p>" * 3
        + "<p><strong>不断健全建强基层党组织</strong></p>"
        + f"<p>{para}</p>" * 3
        + "</div></body></html>"
    )
    page = extract_article(html, "http://example.test/2.html")
    assert "不断健全建强基层党组织" in page.paragraphs
    assert len(page.paragraphs) == 7
