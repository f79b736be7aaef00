"""The vocabulary of figures (units, words that block a figure, spans that are never figures),
kept apart from the matching in core.figures. What each rule is for: docs/figures.md.
"""

from __future__ import annotations

import re

from newsbot.core.text import spaced

# Measure words and units. Longest first in the alternation, so 个百分点 wins over 个, 批次 over
# 批 and 平方公里 over 公里. Compound rates (元/吨, 元／千瓦时) are a unit, a slash and a unit.
UNITS = spaced(
    "个百分点 百分点 平方公里 平方千米 平方米 立方米 千瓦时 万千瓦 人民币 个工作日 工作日 个交易日 "
    "交易日 个月 人次 场次 架次 台次 批次 户次 车次 班次 公顷 公里 千米 公斤 千克 毫克 克 吨 蒸吨 "
    "海里 英里 厘米 毫米 微米 纳米 米 亩 千瓦 兆瓦 吉瓦 摄氏度 大卡 千卡 毫升 升 磅 盎司 桶 美元 "
    "欧元 港元 日元 英镑 美分 元 毛 倍 % 个 名 人 户 家 所 座 栋 项 条 件 份 次 场 支 批 台 辆 "
    "套 间 张 篇 部 本 处 块 只 头 棵 株 岁 周岁 天 小时 分钟 秒 周 年 种 类 位 例 起 宗 笔 册 "
    "门 艘 架 轮 趟 股 手 枚 颗 粒 针 道 章 字 首 部门 部分 方面 金 银 铜"
)
# Words after a number that make it a date, a time, an ordinal or an address, never a figure.
BLOCKING = spaced(
    "周年 年代 年级 世纪 号线 单元 号 日 时 点 期 版 楼 层 级 代 月 路 分 线 室 栋楼 届 季度"
)
# Time units: what a frame (过去/未来/近/这/那 + N) turns into a period instead of a figure.
TIME_UNITS = frozenset(spaced("年 个月 天 小时 分钟 周 个交易日 交易日 个工作日 工作日 秒"))
# A unit as written -> the unit a figure reports (traditional forms are folded before).
BASE_UNIT = {"人民币": "元", "千米": "公里", "千克": "公斤", "周岁": "岁", "平方千米": "平方公里"}
BASE_UNIT.update({"毛": "元", "个交易日": "交易日", "个工作日": "工作日"})
UNIT_FACTOR = {"毛": 0.1}  # 9毛(钱) is 0.9 元
# 成 is a tenth (四成 = 40%); N分之M is a fraction; both are reported in %.
PERCENT_UNITS = frozenset(("成",))

# Prefixes that make a figure approximate or a bound; longest first.
APPROX_PREFIXES = spaced("大约 将近 接近 不超过 超过 不少于 不足 不到 至少 多达 约 近 逾 超 上")
APPROX_SUFFIXES = frozenset(spaced("余 多 来 几 左右 以上 以下 上下 许"))

# A one-for-one fold of the traditional characters figures are written with (offsets hold).
_TRADITIONAL = str.maketrans(
    "萬億個約餘兩鐘時歲項條張場臺輛噸畝間點級號屆週過來這後內",
    "万亿个约余两钟时岁项条张场台辆吨亩间点级号届周过来这后内",
)


def fold_traditional(text: str) -> str:
    return text.translate(_TRADITIONAL)


# Spans whose numbers are not figures; masked before matching (same length, so offsets hold).
DIGIT_MASKS = (
    r"https?://[A-Za-z0-9:/?#\[\]@!$&'()*+,;=._~%-]+|www\.[A-Za-z0-9/?#@&=._~%-]+",
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?",
    r"\d{4}\s*(?:[-至到~—]\s*\d{4}\s*)?年(?:度|\d{1,2}月(?:\d{1,2}[日号])?)?",
    # 11月4.8%: a month, then a figure; the day needs 日/号 or no digit, dot or % after it.
    r"\d{1,2}月(?:\d{1,2}(?:[日号]|(?![\d.%]))|(?=\D))(?:\s*[-至到~—]\s*\d{1,2}(?:月\d{1,2})?[日号])?",
    r"(?<!\d)\d{1,2}[日号](?![0-9])",
    r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?",
    r"(?<!\d)\d{1,2}[时点]\d{1,2}分(?:\d{1,2}秒)?",
    r"(?<!\d)(?:0\d{2,3}-)?[2-9]\d{6,7}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)",
)
# Spans that need no Arabic digit: Chinese dates, ordinals, titles, quoted names, formulas.
TEXT_MASKS = (
    r"[〇零一二三四五六七八九]{4}年|[一二三四五六七八九十]{1,3}月(?:[一二三四五六七八九十]{1,3}[日号])?",
    r"第[0-9零〇一二两三四五六七八九十百千]+",
    r"《[^《》]{0,60}》",
    # A short quotation written in Chinese numerals is a name (“两个确立”, “十五项行动”); one with
    # Arabic digits is a quoted figure (“成功禁食49天”) and stays.
    r"[“「『‘\"][^“”「」『』‘’\"0-9]{1,12}[”」』’\"]",
    r"(?<![0-9A-Za-z零一二两三四五六七八九十])[0-9A-Za-z零一二两三四五六七八九十]++"
    r"(?:\s*+[+＋]\s*+[0-9A-Za-z零一二两三四五六七八九十]++)+",
    # Vague and idiomatic numbers: 一两天, 两三个, 三五成群, 成千上万, 千千万, 百里挑一, 一波三折.
    r"[一二两三四五六七八九][二两三四五六七八九](?=[个名人天年次种位条])",
    r"成千上万|千千万万?|百里挑一|一波三折|三番五次|千方百计|万无一失|一五一十|四面八方|五湖四海",
)
SLOGANS = spaced(
    "两个确立 两个维护 四个意识 四个自信 四个全面 三个代表 五位一体 三会一课 两学一做 三严三实 "
    "一带一路 两个一百年 三个务必 两个务必 一岗双责 三重一大 两不愁三保障 不忘初心 两新 三资 "
    "三无 三农 四风 两会 十四五 十三五 十五五 七一 八一 五一 十一 二十大 十九大 十八大 一把手 "
    "一线 三级书记 五级书记 双减 双碳 五大工程 三大板块 一盘棋 一张网 一站式 三个一 四项基本原则 "
    "三分动 七分吃 三孙子 百年老店"
)
# Nouns that name a programme or campaign when counted in Chinese numerals (十五项行动).
PROGRAMME_RE = re.compile(
    r"[\u4e00-\u9fff]{0,3}?(?:行动|工程|课堂|机制|体系|模式|计划|战略|理念|意识|清单|工作法|"
    r"举措|品牌|攻坚战|制度)"
)
COUNT_CUE_RE = re.compile(r"(?:了|共|共计|累计|合计|总计|新增|先后|已)$")
# 过去30个交易日, 未来6个月, 近25年, 这两天: a period the sentence is about, not a figure.
# 过去 only as a time word: 打过去十分钟 is "called over", then ten minutes.
FRAME_BEFORE_RE = re.compile(r"(?:(?:^|[在的，,。；：:\s（(「“])过去|未来|最近的?|近|这|那)$")
# After N年: 十年前, 3年后, 近三年来, 三年内 point at a time or frame a period.
YEAR_FRAME_AFTER = "月度级代底初前后来内间中累之以"
# A distance or weight that names an event: 500米冠军, 48公斤级, 100米跨栏, 10公里越野.
EVENT_AFTER_RE = re.compile(
    r"(?:级|冠军|亚军|季军|金牌|银牌|铜牌|决赛|半决赛|预赛|比赛|项目|赛|自由泳|蛙泳|仰泳|蝶泳|"
    r"混合泳|接力|跨栏|障碍|速滑|短道|长跑|跑|越野|竞走|栏|个人赛|团体赛|男子|女子)"
)
EVENT_UNITS = frozenset(spaced("米 公里 千米 公斤 千克 码 英里"))
# 人大五次会议, 五届二次全会: the ordinal of a session, not a count of meetings.
SESSION_AFTER_RE = re.compile(r"(?:会议|全会|全体会议|党代会|代表大会|常委会|征求意见|征意见)")
# 三元桥, 五家子村, 三门坡: a numeral and a measure word inside a place name.
PLACE_AFTER = frozenset("子桥坡村镇屯庄峡街巷湾岭寺")
# Single-character units that also start common words (家产, 金额, 成本): checked with jieba.
GLUE_UNITS = frozenset("家元门部棵批台金银铜成股手道首字章针间头只本处块张套户所座条件份")
