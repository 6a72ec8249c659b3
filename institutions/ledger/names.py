"""Names with an address run into them (名称疑含地址): "历下区文化路12号阳光培训学校" is a name and an address typed
into one cell, a common slip when a ledger is copied from a list of premises.

A registered name legitimately starts with a place: 行政区划 + 字号 + 行业 + 组织形式 (企业名称登记管理规定 2020 Art 6,
民办非企业单位名称管理暂行规定 Art 6), e.g. 北京市海淀区新东方培训学校, 济南市历下区阳光艺术培训学校有限公司; a
branch adds its place after the name, e.g. 阳光艺术培训学校（文化路校区）, 星光教育科技有限公司历下分公司. Province,
city, county and even road names are therefore no sign on their own. What no name holds is a street *number*: a road
followed by digits (文化路12, 经十路１８８号), or digits with the unit of a building (12号, 3栋, 2单元, 5层, 201室,
B座, 12号楼, 3号院). Only those are flagged — for a person to look at, never refused.
"""

import re
import unicodedata

_NUMERAL = r"[0-9]+|[一二三四五六七八九十百千零〇]+"
_FRAGMENTS = re.compile(
    # a road, street, lane or alley followed by its number: 文化路12号, 经十路188, 长乐里3弄, 幸福巷十二号
    rf"(?:路|街|大街|大道|巷|弄|胡同|里)\s*(?:[0-9]+|(?:[一二三四五六七八九十百千零〇]+)号)"
    # a number with a building's unit: 12号, 3栋, 2幢, A座, 2单元, 5楼, 5层, 201室, 12号楼, 3号院, 8号铺
    rf"|(?:[0-9]+|(?<![A-Za-z])[A-Za-z])\s*(?:号楼|号院|号铺|号|栋|幢|座|单元|楼|层|室|商铺)"
    rf"|(?:[一二三四五六七八九十]+)(?:号楼|栋|幢|单元)"
    # a basement floor: 地下一层, 负2层
    rf"|(?:地下|负)(?:{_NUMERAL})层"
)



def address_fragment(name: str) -> str:
    """The first street-address fragment in `name` ('' if none): '文化路12号' in '历下区文化路12号阳光培训学校'."""
    text = unicodedata.normalize("NFKC", name or "")
    match = _FRAGMENTS.search(text)
    return match.group(0) if match else ""
