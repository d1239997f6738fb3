"""Write a province-sized configuration repository for the speed benchmark.

One repository for a whole (fictional) province 99: every city's element sets, the province's
configuration items, and the three environments serving all regions. The output is deterministic
for a given ``--seed`` and is valid: ``dfctl validate`` reports nothing on it.

What scales with ``--cities`` (each city has a 市本级 region and 4–8 county regions; the first city is
XX市 with exactly the regions of the city repository):

- element sets: every region keeps its own copy of seven sets (预算单位 agency, 支出功能分类 exp_func
  with local children, 政府/部门经济分类 gov_bgt_eco/dep_bgt_eco, 收入分类 income_sort, 资金性质 fund_type,
  账户类型 account_type), one file each: 21 cities give about 1,000 files and 220,000 codes;
- namespaces (one per city and domain in production), TDSQL instances, configuration overrides,
  access policies from city networks.

What does not: the configuration items (8 domains × 16 modules × 8 areas × 20 settings = 20,480, one
file per domain, because a domain names exactly one ConfigItemSet), control rules, releases,
clusters, portal systems, data hub peers and interfaces.

Usage: ``python benchmarks/generate_province.py OUT_DIR [--cities 21] [--seed 1]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dfctl.schemagen import render_schemas

API = "apiVersion: dfp.config/v1"
FISCAL_YEAR = 2026
PROVINCE_CODE = "990000000"
START = "2026-01-01"
RETIRED_ON = "2026-06-30"
STAGES = ("acceptance", "pre-release", "production")
STAGE_SHORT = {"acceptance": "acc", "pre-release": "pre", "production": "prod"}
STAGE_TITLE = {"acceptance": "验收环境", "pre-release": "预发布环境", "production": "生产环境"}
DOMAINS = (
    "budget",
    "execution",
    "accounting",
    "portal",
    "datahub",
    "masterdata",
    "business-platform",
    "tech-platform",
)
MAX_CITIES = 21

# -- regions -----------------------------------------------------------------------------------

CITY_NAMES = (
    "XX",
    "东陵",
    "西岭",
    "南浦",
    "北原",
    "清河",
    "白石",
    "青峰",
    "金沙",
    "玉泉",
    "红岩",
    "碧水",
    "松林",
    "梅岭",
    "柳川",
    "桃源",
    "枫桥",
    "竹溪",
    "兰亭",
    "鹤鸣",
    "鹿城",
)
# the first city is the one the city repository describes
FIRST_CITY_COUNTIES = (
    ("02", "临江区"),
    ("03", "云山区"),
    ("04", "南湖区"),
    ("05", "高新技术产业开发区"),
    ("21", "青石县"),
    ("22", "白水县"),
)
_PLACE_FIRST = "东西南北青白金银松柳桃梅竹枫鹤龙凤安永宁"
_PLACE_SECOND = "城阳江湖溪林岗桥川原"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str  # city or county


@dataclass
class City:
    code: str  # four digits, e.g. 9901
    name: str
    regions: list[Region]

    @property
    def seat(self) -> Region:
        return self.regions[0]


def build_cities(count: int, rng: random.Random) -> list[City]:
    places = [a + b for a in _PLACE_FIRST for b in _PLACE_SECOND]
    rng.shuffle(places)
    cities: list[City] = []
    for index in range(1, count + 1):
        code = f"99{index:02d}"
        name = CITY_NAMES[index - 1] + "市"
        regions = [Region(f"{code}00000", f"{name}本级", "city")]
        if index == 1:
            counties = list(FIRST_CITY_COUNTIES)
        else:
            districts = rng.randint(2, 5)
            rural = rng.randint(2, 3)
            counties = [(f"{n:02d}", places.pop() + "区") for n in range(2, 2 + districts)]
            counties += [(f"{n:02d}", places.pop() + "县") for n in range(21, 21 + rural)]
        regions += [Region(f"{code}{c}000", f"{n}本级", "county") for c, n in counties]
        cities.append(City(code, name, regions))
    return cities


# -- element tables ----------------------------------------------------------------------------
# Codes and names from the national classifications (a representative part of the 2026 edition).
# A 款 line ending in "| ..." gets the standard 项 of an administrative 款
# (行政运行, 一般行政管理事务, 机关服务, 事业运行, 其他…支出) plus the ones listed; "! ..." only the listed.

_EXP_FUNC = """
201 一般公共服务支出
 01 人大事务 | 04 人大会议, 05 人大立法, 06 人大监督, 07 人大代表履职能力提升, 08 代表工作,
    09 人大信访工作
 02 政协事务 | 04 政协会议, 05 委员视察, 06 参政议政
 03 政府办公厅（室）及相关机构事务 | 04 专项服务, 05 专项业务及机关事务管理, 06 政务公开审批,
    07 信访事务, 08 参事事务
 04 发展与改革事务 | 04 战略规划与实施, 05 日常经济运行调节, 06 社会事业发展规划,
    07 经济体制改革研究, 08 物价管理
 05 统计信息事务 | 04 信息事务, 05 专项统计业务, 06 统计管理, 07 专项普查活动, 08 统计抽样调查
 06 财政事务 | 04 预算改革业务, 05 财政国库业务, 06 财政监察, 07 信息化建设, 08 财政委托业务支出
 07 税收事务 | 04 税务办案, 05 发票管理及税务登记, 06 代扣代收代征税款手续费, 07 税务宣传,
    08 协税护税
 08 审计事务 | 04 审计业务, 05 审计管理, 06 信息化建设
 11 纪检监察事务 | 04 大案要案查处, 05 派驻派出机构, 06 巡视工作
 13 商贸事务 | 04 对外贸易管理, 05 国际经济合作, 06 外资管理, 07 国内贸易管理, 08 招商引资
 23 民族事务 | 04 民族工作专项
 26 档案事务 | 04 档案馆
 28 民主党派及工商联事务 |
 29 群众团体事务 | 06 工会事务
 31 党委办公厅（室）及相关机构事务 | 05 专项业务
 32 组织事务 | 04 公务员事务
 33 宣传事务 |
 34 统战事务 | 04 宗教事务, 05 华侨事务
 38 市场监督管理事务 | 04 经营主体监管, 05 市场秩序执法, 06 质量基础, 07 药品事务,
    08 医疗器械事务, 09 化妆品事务, 10 质量安全监管, 11 食品安全监管
 99 其他一般公共服务支出 ! 01 国家赔偿费用支出, 99 其他一般公共服务支出
203 国防支出
 06 国防动员 | 07 兵役征集, 08 经济动员, 09 人民防空, 10 交通战备, 12 民兵, 13 边海防
 99 其他国防支出 ! 99 其他国防支出
204 公共安全支出
 02 公安 | 19 信息化建设, 20 执法办案, 21 特别业务, 22 特勤业务, 23 移民事务
 04 检察 | 10 检察监督
 05 法院 | 04 案件审判, 05 案件执行
 06 司法 | 04 基层司法业务, 05 普法宣传, 06 律师管理, 07 公共法律服务,
    08 国家统一法律职业资格考试, 10 社区矫正, 12 法治建设
 07 监狱 | 04 犯人生活, 05 监狱业务及罪犯改造, 06 狱政设施建设, 07 信息化建设
 08 强制隔离戒毒 | 04 强制隔离戒毒人员生活, 05 强制隔离戒毒人员教育, 06 所政设施建设
 99 其他公共安全支出 ! 02 国家司法救助支出, 99 其他公共安全支出
205 教育支出
 01 教育管理事务 |
 02 普通教育 ! 01 学前教育, 02 小学教育, 03 初中教育, 04 高中教育, 05 高等教育,
    99 其他普通教育支出
 03 职业教育 ! 01 初等职业教育, 02 中等职业教育, 03 技校教育, 05 高等职业教育,
    99 其他职业教育支出
 04 成人教育 ! 01 成人初等教育, 02 成人中等教育, 03 成人高等教育, 04 成人广播电视教育,
    99 其他成人教育支出
 07 特殊教育 ! 01 特殊学校教育, 02 工读学校教育, 99 其他特殊教育支出
 08 进修及培训 ! 01 教师进修, 02 干部教育, 03 培训支出, 04 退役士兵能力提升, 99 其他进修及培训
 09 教育费附加安排的支出 ! 01 农村中小学校舍建设, 02 农村中小学教学设施, 03 城市中小学校舍建设,
    04 城市中小学教学设施, 05 中等职业学校教学设施, 99 其他教育费附加安排的支出
 99 其他教育支出 ! 99 其他教育支出
206 科学技术支出
 01 科学技术管理事务 |
 02 基础研究 ! 01 机构运行, 02 自然科学基金, 03 重点实验室及相关设施, 99 其他基础研究支出
 03 应用研究 ! 01 机构运行, 02 社会公益研究, 03 高技术研究, 99 其他应用研究支出
 04 技术研究与开发 ! 01 机构运行, 02 科技成果转化与扩散, 03 共性技术研究与开发,
    99 其他技术研究与开发支出
 05 科技条件与服务 ! 01 机构运行, 02 技术创新服务体系, 03 科技条件专项,
    99 其他科技条件与服务支出
 07 科学技术普及 ! 01 机构运行, 02 科普活动, 03 青少年科技活动, 04 学术交流活动, 05 科技馆站,
    99 其他科学技术普及支出
 99 其他科学技术支出 ! 99 其他科学技术支出
207 文化旅游体育与传媒支出
 01 文化和旅游 | 04 图书馆, 05 文化展示及纪念机构, 06 艺术表演场所, 07 艺术表演团体, 08 文化活动,
    09 群众文化, 12 文化和旅游市场管理, 13 旅游宣传, 14 文化和旅游管理事务
 02 文物 | 04 文物保护, 05 博物馆, 06 历史名城与古迹
 03 体育 | 04 运动项目管理, 05 体育竞赛, 06 体育训练, 07 体育场馆, 08 群众体育
 06 新闻出版电影 | 05 出版发行, 06 版权管理, 07 电影
 08 广播电视 | 06 监测监管, 07 传输发射, 08 广播电视事务
 99 其他文化旅游体育与传媒支出 ! 02 宣传文化发展专项支出, 03 文化产业发展专项支出,
    99 其他文化旅游体育与传媒支出
208 社会保障和就业支出
 01 人力资源和社会保障管理事务 | 04 综合业务管理, 05 劳动保障监察, 06 就业管理事务,
    07 社会保险业务管理事务, 08 信息化建设, 09 社会保险经办机构, 10 劳动关系和维权,
    11 公共就业服务和职业技能鉴定机构, 12 劳动人事争议调解仲裁
 02 民政管理事务 | 04 社会组织管理, 05 行政区划和地名管理, 06 基层政权建设和社区治理
 05 行政事业单位养老支出 ! 01 行政单位离退休, 02 事业单位离退休, 03 离退休人员管理机构,
    05 机关事业单位基本养老保险缴费支出, 06 机关事业单位职业年金缴费支出,
    99 其他行政事业单位养老支出
 07 就业补助 ! 01 就业创业服务补贴, 02 职业培训补贴, 04 社会保险补贴, 05 公益性岗位补贴,
    09 职业技能评价补贴, 11 就业见习补贴, 99 其他就业补助支出
 08 抚恤 ! 01 死亡抚恤, 02 伤残抚恤, 05 义务兵优待, 06 农村籍退役士兵老年生活补助,
    99 其他优抚支出
 09 退役安置 ! 01 退役士兵安置, 02 军队移交政府的离退休人员安置,
    03 军队移交政府离退休干部管理机构, 05 军队转业干部安置, 99 其他退役安置支出
 10 社会福利 ! 01 儿童福利, 02 老年福利, 03 康复辅具, 04 殡葬, 05 社会福利事业单位, 06 养老服务,
    99 其他社会福利支出
 11 残疾人事业 | 04 残疾人康复, 05 残疾人就业, 06 残疾人体育, 07 残疾人生活和护理补贴
 19 最低生活保障 ! 01 城市最低生活保障金支出, 02 农村最低生活保障金支出
 20 临时救助 ! 01 临时救助支出, 02 流浪乞讨人员救助支出
 21 特困人员救助供养 ! 01 城市特困人员救助供养支出, 02 农村特困人员救助供养支出
 28 退役军人管理事务 | 04 拥军优属, 05 军供保障
 99 其他社会保障和就业支出 ! 99 其他社会保障和就业支出
210 卫生健康支出
 01 卫生健康管理事务 |
 02 公立医院 ! 01 综合医院, 02 中医医院, 03 传染病医院, 04 职业病防治医院, 05 精神病医院,
    06 妇幼保健医院, 07 儿童医院, 08 其他专科医院, 09 福利医院, 10 行业医院, 11 处理医疗欠费,
    12 康复医院, 13 优抚医院, 99 其他公立医院支出
 03 基层医疗卫生机构 ! 01 城市社区卫生机构, 02 乡镇卫生院, 99 其他基层医疗卫生机构支出
 04 公共卫生 ! 01 疾病预防控制机构, 02 卫生监督机构, 03 妇幼保健机构, 04 精神卫生机构,
    05 应急救治机构, 06 采供血机构, 07 其他专业公共卫生机构, 08 基本公共卫生服务,
    09 重大公共卫生服务, 10 突发公共卫生事件应急处置, 99 其他公共卫生支出
 07 计划生育事务 ! 16 计划生育机构, 17 计划生育服务, 99 其他计划生育事务支出
 11 行政事业单位医疗 ! 01 行政单位医疗, 02 事业单位医疗, 03 公务员医疗补助,
    99 其他行政事业单位医疗支出
 12 财政对基本医疗保险基金的补助 ! 01 财政对职工基本医疗保险基金的补助,
    02 财政对城乡居民基本医疗保险基金的补助, 99 财政对其他基本医疗保险基金的补助
 13 医疗救助 ! 01 城乡医疗救助, 02 疾病应急救助, 99 其他医疗救助支出
 14 优抚对象医疗 ! 01 优抚对象医疗补助, 99 其他优抚对象医疗支出
 15 医疗保障管理事务 | 04 信息化建设, 05 医疗保障政策管理, 06 医疗保障经办
 99 其他卫生健康支出 ! 99 其他卫生健康支出
211 节能环保支出
 01 环境保护管理事务 | 04 生态环境保护宣传, 06 生态环境国际合作及履约, 07 生态环境保护行政许可
 02 环境监测与监察 ! 03 建设项目环评审查与监督, 04 核与辐射安全监督, 99 其他环境监测与监察支出
 03 污染防治 ! 01 大气, 02 水体, 03 噪声, 04 固体废弃物与化学品, 05 放射源和放射性废物监管,
    06 辐射, 07 土壤, 99 其他污染防治支出
 04 自然生态保护 ! 01 生态保护, 02 农村环境保护, 04 生物及物种资源保护, 99 其他自然生态保护支出
 11 污染减排 ! 01 生态环境监测与信息, 02 生态环境执法监察, 03 减排专项支出, 04 清洁生产专项支出,
    99 其他污染减排支出
 99 其他节能环保支出 ! 99 其他节能环保支出
212 城乡社区支出
 01 城乡社区管理事务 | 04 城管执法, 05 工程建设标准规范编制与监管, 06 工程建设管理,
    07 市政公用行业市场监管, 08 住宅建设与房地产市场监管
 02 城乡社区规划与管理 ! 01 城乡社区规划与管理
 03 城乡社区公共设施 ! 01 小城镇基础设施建设, 99 其他城乡社区公共设施支出
 05 城乡社区环境卫生 ! 01 城乡社区环境卫生
 06 建设市场管理与监督 ! 01 建设市场管理与监督
 08 国有土地使用权出让收入安排的支出 ! 01 征地和拆迁补偿支出, 02 土地开发支出, 03 城市建设支出,
    04 农村基础设施建设支出, 05 补助被征地农民支出, 06 土地出让业务支出, 07 廉租住房支出,
    09 支付破产或改制企业职工安置费, 10 棚户区改造支出, 11 公共租赁住房支出,
    13 保障性住房租金补贴, 14 农业生产发展支出, 15 农村社会事业支出, 16 农业农村生态环境支出,
    99 其他国有土地使用权出让收入安排的支出
 99 其他城乡社区支出 ! 99 其他城乡社区支出
213 农林水支出
 01 农业农村 | 05 农垦运行, 06 科技转化与推广服务, 08 病虫害控制, 09 农产品质量安全, 10 执法监管,
    11 统计监测与信息服务, 19 防灾救灾, 22 农业生产发展, 24 农村合作经济, 26 农产品加工与促销,
    35 农村社会事业, 42 乡村振兴, 52 对高校毕业生到基层任职补助, 53 耕地建设与利用
 02 林业和草原 | 04 事业机构, 05 森林资源培育, 06 技术推广与转化, 07 森林资源管理,
    08 森林生态效益补偿, 09 自然保护区等管理, 10 动植物保护, 11 湿地保护, 12 执法与监督,
    17 防沙治沙, 20 林业草原防灾减灾
 03 水利 | 04 水利行业业务管理, 05 水利工程建设, 06 水利工程运行与维护, 07 长江黄河等流域管理,
    08 水利前期工作, 09 水利执法监督, 10 水土保持, 11 水资源节约管理与保护, 12 水质监测,
    13 水文测报, 14 防汛, 15 抗旱, 16 农村水利, 17 水利技术推广, 21 农村人畜饮水
 05 巩固脱贫攻坚成果衔接乡村振兴 ! 04 农村基础设施建设, 05 生产发展, 06 社会发展,
    07 贷款奖补和贴息, 08 少数民族发展, 99 其他巩固脱贫攻坚成果衔接乡村振兴支出
 07 农村综合改革 ! 01 对村级公益事业建设的补助, 02 国有农场办社会职能改革补助,
    04 对村民委员会和村党支部的补助, 05 对村集体经济组织的补助, 06 农村综合改革示范试点补助,
    99 其他农村综合改革支出
 08 普惠金融发展支出 ! 03 农业保险保费补贴, 04 创业担保贷款贴息及奖补, 99 其他普惠金融发展支出
 99 其他农林水支出 ! 99 其他农林水支出
214 交通运输支出
 01 公路水路运输 | 04 公路建设, 06 公路养护, 12 交通运输信息化建设, 14 公路和运输安全,
    22 水路运输管理支出
 02 民用航空运输 | 04 机场建设, 05 空管系统建设
 04 成品油价格改革对交通运输的补贴 ! 01 对城市公交的补贴, 02 对农村道路客运的补贴,
    03 对出租车的补贴, 99 成品油价格改革补贴其他支出
 99 其他交通运输支出 ! 01 公共交通运营补助, 99 其他交通运输支出
215 资源勘探工业信息等支出
 05 工业和信息产业监管 |
 08 支持中小企业发展和管理支出 ! 01 行政运行, 02 一般行政管理事务, 03 机关服务,
    04 科技型中小企业技术创新基金, 05 中小企业发展专项, 99 其他支持中小企业发展和管理支出
 99 其他资源勘探工业信息等支出 ! 99 其他资源勘探工业信息等支出
216 商业服务业等支出
 02 商业流通事务 | 16 食品流通安全补贴, 17 市场监测及信息管理, 18 民贸企业补贴,
    19 民贸民品贷款贴息
 06 涉外发展服务支出 | 07 外商投资环境建设补助资金
 99 其他商业服务业等支出 ! 99 其他商业服务业等支出
217 金融支出
 01 金融部门行政支出 |
 03 金融发展支出 ! 01 政策性银行亏损补贴, 02 利息费用补贴支出, 03 补充资本金, 04 风险基金补助,
    99 其他金融发展支出
 99 其他金融支出 ! 99 其他金融支出
220 自然资源海洋气象等支出
 01 自然资源事务 | 04 自然资源规划及管理, 06 自然资源利用与保护, 07 自然资源社会公益服务,
    08 自然资源行业业务管理, 09 自然资源调查与确权登记, 10 土地资源储备支出,
    11 地质矿产资源与环境调查, 12 地质勘查与矿产资源管理
 05 气象事务 | 06 气象事业机构, 09 气象探测, 10 气象信息传输及管理, 11 气象预报预测, 12 气象服务,
    13 气象装备保障维护, 14 气象基础设施建设与维修维护, 15 气象卫星, 16 气象法规与标准,
    17 气象资金审计稽查
 99 其他自然资源海洋气象等支出 ! 99 其他自然资源海洋气象等支出
221 住房保障支出
 01 保障性安居工程支出 ! 02 沉陷区治理, 03 棚户区改造, 05 少数民族地区游牧民定居工程,
    06 农村危房改造, 07 公共租赁住房, 08 保障性住房租金补贴, 10 老旧小区改造,
    11 住房租赁市场发展, 99 其他保障性安居工程支出
 02 住房改革支出 ! 01 住房公积金, 02 提租补贴, 03 购房补贴
 03 城乡社区住宅 ! 01 公有住房建设和维修改造支出, 02 住房公积金管理, 99 其他城乡社区住宅支出
222 粮油物资储备支出
 01 粮油物资事务 | 04 财务与审计支出, 05 信息统计, 06 专项业务活动, 12 粮食财务挂账利息补贴,
    15 粮食风险基金
 04 粮油储备 ! 01 储备粮油补贴, 02 储备粮油差价补贴, 04 最低收购价政策支出, 99 其他粮油储备支出
 05 重要商品储备 ! 01 棉花储备, 02 食糖储备, 03 肉类储备, 04 化肥储备, 05 农药储备,
    06 边销茶储备, 07 羊毛储备, 08 医药储备, 09 食盐储备, 10 战略物资储备,
    99 其他重要商品储备支出
223 国有资本经营预算支出
 01 解决历史遗留问题及改革成本支出 ! 02 国有企业棚户区改造支出, 05 国有企业改革成本支出,
    08 国有企业退休人员社会化管理补助支出, 99 其他解决历史遗留问题及改革成本支出
 02 国有企业资本金注入 ! 01 国有经济结构调整支出, 02 公益性设施投资支出,
    03 前瞻性战略性产业发展支出, 04 生态环境保护支出, 05 支持科技进步支出,
    06 保障国家经济安全支出, 07 对外投资合作支出, 99 其他国有企业资本金注入
 03 国有企业政策性补贴 ! 01 国有企业政策性补贴
 99 其他国有资本经营预算支出 ! 01 其他国有资本经营预算支出
224 灾害防治及应急管理支出
 01 应急管理事务 | 04 灾害风险防治, 05 国务院安委会专项, 06 安全监管, 08 应急救援, 09 应急管理
 02 消防救援事务 | 04 消防应急救援
 04 地震事务 | 04 地震监测, 05 地震预测预报, 06 地震灾害预防, 07 地震应急救援, 08 地震环境探察,
    09 防震减灾信息管理, 10 防震减灾基础管理
 06 自然灾害救灾及恢复重建支出 ! 01 中央自然灾害生活补助, 02 地方自然灾害生活补助,
    03 自然灾害救灾补助, 04 自然灾害灾后重建补助, 99 其他自然灾害救灾及恢复重建支出
 99 其他灾害防治及应急管理支出 ! 99 其他灾害防治及应急管理支出
227 预备费
229 其他支出
 99 其他支出 ! 99 其他支出
230 转移性支出
 01 返还性支出 ! 02 所得税基数返还支出, 03 成品油税费改革税收返还支出, 04 增值税税收返还支出,
    05 消费税税收返还支出, 06 增值税五五分享税收返还支出, 99 其他返还性支出
 02 一般性转移支付 ! 01 体制补助支出, 02 均衡性转移支付支出, 07 县级基本财力保障机制奖补资金支出,
    08 结算补助支出, 12 资源枯竭型城市转移支付补助支出, 14 企业事业单位划转补助支出,
    25 产粮油大县奖励资金支出, 26 重点生态功能区转移支付支出, 27 固定数额补助支出,
    28 革命老区转移支付支出, 29 民族地区转移支付支出, 30 边境地区转移支付支出,
    31 巩固脱贫攻坚成果衔接乡村振兴转移支付支出, 41 一般公共服务共同财政事权转移支付支出,
    44 公共安全共同财政事权转移支付支出, 45 教育共同财政事权转移支付支出,
    46 科学技术共同财政事权转移支付支出
 03 专项转移支付 ! 01 一般公共服务, 04 公共安全, 05 教育, 06 科学技术, 07 文化旅游体育与传媒,
    08 社会保障和就业, 10 卫生健康, 11 节能环保, 12 城乡社区, 13 农林水, 14 交通运输
 06 上解支出 ! 01 体制上解支出, 02 专项上解支出
 08 调出资金 ! 01 一般公共预算调出资金, 02 政府性基金预算调出资金, 03 国有资本经营预算调出资金
 09 年终结余 ! 01 一般公共预算年终结余, 02 政府性基金年终结余, 03 国有资本经营预算年终结余
 11 债务转贷支出 ! 03 地方政府一般债券转贷支出, 04 地方政府向外国政府借款转贷支出,
    05 地方政府向国际组织借款转贷支出, 06 地方政府其他一般债务转贷支出
231 债务还本支出
 03 地方政府一般债务还本支出 ! 01 地方政府一般债券还本支出, 02 地方政府向外国政府借款还本支出,
    03 地方政府向国际组织借款还本支出, 99 地方政府其他一般债务还本支出
232 债务付息支出
 03 地方政府一般债务付息支出 ! 01 地方政府一般债券付息支出, 02 地方政府向外国政府借款付息支出,
    03 地方政府向国际组织借款付息支出, 99 地方政府其他一般债务付息支出
233 债务发行费用支出
 03 地方政府一般债务发行费用支出 !
"""

_OWNERSHIP = (
    "国有企业{0}, 股份制企业{0}, 股份合作企业{0}, 联营企业{0}, 港澳台和外商投资企业{0}, 私营企业{0}"
)


def _by_ownership(tax: str) -> str:
    names = _OWNERSHIP.format(tax).split(", ")
    items = [f"{n:02d} {name}" for n, name in enumerate(names, start=1)]
    return ", ".join([*items, f"99 其他{tax}"])


_INCOME_SORT = f"""
101 税收收入
 01 增值税 ! {_by_ownership("增值税")}
 02 消费税 ! 01 国内消费税, 02 进口消费品消费税
 04 企业所得税 ! {_by_ownership("企业所得税")}
 06 个人所得税 ! 01 个人所得税, 99 其他个人所得税
 07 资源税 ! 01 海洋石油资源税, 02 其他资源税, 03 水资源税
 09 城市维护建设税 ! {_by_ownership("城市维护建设税")}
 10 房产税 ! {_by_ownership("房产税")}
 11 印花税 ! 01 证券交易印花税, 02 其他印花税
 12 城镇土地使用税 ! {_by_ownership("城镇土地使用税")}
 13 土地增值税 ! {_by_ownership("土地增值税")}
 14 车船税 ! 01 车船税
 18 耕地占用税 ! 01 耕地占用税
 19 契税 ! 01 契税
 20 烟叶税 ! 01 烟叶税
 21 环境保护税 ! 01 环境保护税
 99 其他税收收入 ! 01 其他税收收入
103 非税收入
 02 专项收入 ! 03 教育费附加收入, 06 地方教育附加收入, 08 文化事业建设费收入,
    10 残疾人就业保障金收入, 12 森林植被恢复费, 13 水利建设专项收入, 99 其他专项收入
 04 行政事业性收费收入 ! 01 公安行政事业性收费收入, 02 法院行政事业性收费收入,
    03 司法行政事业性收费收入, 14 自然资源行政事业性收费收入, 16 住房城乡建设行政事业性收费收入,
    20 农业农村行政事业性收费收入, 25 卫生健康行政事业性收费收入, 29 市场监管行政事业性收费收入,
    99 其他缴入国库的行政事业性收费
 05 罚没收入 ! 01 一般罚没收入, 02 缉私罚没收入, 03 缉毒罚没收入, 99 其他罚没收入
 06 国有资本经营收入 ! 01 利润收入, 02 股利股息收入, 03 产权转让收入, 04 清算收入,
    99 其他国有资本经营预算收入
 07 国有资源（资产）有偿使用收入 ! 01 海域使用金收入, 02 场地和矿区使用费收入,
    04 专项储备物资销售收入, 05 利息收入, 06 非经营性国有资产收入,
    07 出租车经营权有偿出让和转让收入, 99 其他国有资源有偿使用收入
 08 捐赠收入 ! 01 国外捐赠收入, 02 国内捐赠收入
 09 政府住房基金收入 ! 01 上缴管理费用, 02 计提公共租赁住房资金, 03 公共租赁住房租金收入,
    99 其他政府住房基金收入
 99 其他收入 ! 01 主管部门集中收入, 99 其他收入
105 债务收入
 03 地方政府债务收入 ! 01 一般债务收入, 02 专项债务收入
110 转移性收入
 01 返还性收入 ! 02 所得税基数返还收入, 03 成品油税费改革税收返还收入, 04 增值税税收返还收入,
    05 消费税税收返还收入, 06 增值税五五分享税收返还收入, 99 其他返还性收入
 02 一般性转移支付收入 ! 01 体制补助收入, 02 均衡性转移支付收入,
    07 县级基本财力保障机制奖补资金收入, 08 结算补助收入, 12 资源枯竭型城市转移支付补助收入,
    14 企业事业单位划转补助收入, 25 产粮油大县奖励资金收入, 26 重点生态功能区转移支付收入,
    27 固定数额补助收入, 28 革命老区转移支付收入, 29 民族地区转移支付收入,
    41 一般公共服务共同财政事权转移支付收入, 44 公共安全共同财政事权转移支付收入,
    45 教育共同财政事权转移支付收入
 03 专项转移支付收入 ! 01 一般公共服务, 04 公共安全, 05 教育, 06 科学技术, 07 文化旅游体育与传媒,
    08 社会保障和就业, 10 卫生健康, 11 节能环保, 12 城乡社区, 13 农林水, 14 交通运输
 06 上解收入 ! 01 体制上解收入, 02 专项上解收入
 09 上年结余收入 ! 01 一般公共预算上年结余收入, 02 政府性基金预算上年结余收入,
    03 国有资本经营预算上年结余收入
 11 债务转贷收入 ! 03 地方政府一般债务转贷收入, 04 地方政府向外国政府借款转贷收入,
    05 地方政府向国际组织借款转贷收入
"""

_GOV_ECON = """
501 机关工资福利支出: 01 工资奖金津补贴, 02 社会保障缴费, 03 住房公积金, 99 其他工资福利支出
502 机关商品和服务支出: 01 办公经费, 02 会议费, 03 培训费, 04 专用材料购置费, 05 委托业务费,
    06 公务接待费, 07 因公出国（境）费用, 08 公务用车运行维护费, 09 维修（护）费,
    99 其他商品和服务支出
503 机关资本性支出（一）: 01 房屋建筑物购建, 02 基础设施建设, 03 公务用车购置,
    05 土地征迁补偿和安置支出, 06 设备购置, 07 大型修缮, 99 其他资本性支出
504 机关资本性支出（二）: 01 房屋建筑物购建, 02 基础设施建设, 03 公务用车购置, 04 设备购置,
    05 大型修缮, 99 其他资本性支出
505 对事业单位经常性补助: 01 工资福利支出, 02 商品和服务支出, 99 其他对事业单位补助
506 对事业单位资本性补助: 01 资本性支出
507 对企业补助: 01 费用补贴, 02 利息补贴, 99 其他对企业补助
508 对企业资本性支出: 01 对企业资本性支出
509 对个人和家庭的补助: 01 社会福利和救助, 02 助学金, 03 个人农业生产补贴, 05 离退休费,
    99 其他对个人和家庭补助
510 对社会保障基金补助: 02 对社会保险基金补助, 03 补充全国社会保障基金
511 债务利息及费用支出: 01 国内债务付息, 02 国外债务付息, 03 国内债务发行费用,
    04 国外债务发行费用
512 债务还本支出: 01 国内债务还本, 02 国外债务还本
513 转移性支出: 01 上下级政府间转移性支出, 02 援助其他地区支出, 03 债务转贷, 04 调出资金,
    05 安排预算稳定调节基金, 06 补充预算周转金
514 预备费及预留: 01 预备费, 02 预留
599 其他支出: 06 赠与, 07 国家赔偿费用支出, 08 对民间非营利组织和群众性自治组织补贴, 99 其他支出
"""

# departmental economic code = government economic code it maps to
_DEP_ECON = """
301 工资福利支出: 01 基本工资=50101, 02 津贴补贴=50101, 03 奖金=50101, 06 伙食补助费=50101,
    07 绩效工资=50101, 08 机关事业单位基本养老保险缴费=50102, 09 职业年金缴费=50102,
    10 职工基本医疗保险缴费=50102, 11 公务员医疗补助缴费=50102, 12 其他社会保障缴费=50102,
    13 住房公积金=50103, 14 医疗费=50199, 99 其他工资福利支出=50199
302 商品和服务支出: 01 办公费=50201, 02 印刷费=50201, 03 咨询费=50201, 04 手续费=50201,
    05 水费=50201, 06 电费=50201, 07 邮电费=50201, 08 取暖费=50201, 09 物业管理费=50201,
    11 差旅费=50201, 12 因公出国（境）费用=50207, 13 维修（护）费=50209, 14 租赁费=50201,
    15 会议费=50202, 16 培训费=50203, 17 公务接待费=50206, 18 专用材料费=50204,
    24 被装购置费=50204, 25 专用燃料费=50204, 26 劳务费=50201, 27 委托业务费=50205,
    28 工会经费=50201, 29 福利费=50201, 31 公务用车运行维护费=50208, 39 其他交通费用=50201,
    40 税金及附加费用=50299, 99 其他商品和服务支出=50299
303 对个人和家庭的补助: 01 离休费=50905, 02 退休费=50905, 03 退职（役）费=50905, 04 抚恤金=50901,
    05 生活补助=50901, 06 救济费=50901, 07 医疗费补助=50901, 08 助学金=50902, 09 奖励金=50999,
    99 其他对个人和家庭的补助=50999
307 债务利息及费用支出: 01 国内债务付息=51101, 02 国外债务付息=51102, 03 国内债务发行费用=51103,
    04 国外债务发行费用=51104
309 资本性支出（基本建设）: 01 房屋建筑物购建=50401, 02 办公设备购置=50404,
    03 专用设备购置=50404, 05 基础设施建设=50402, 06 大型修缮=50405, 99 其他基本建设支出=50499
310 资本性支出: 01 房屋建筑物购建=50301, 02 办公设备购置=50306, 03 专用设备购置=50306,
    05 基础设施建设=50302, 06 大型修缮=50307, 07 信息网络及软件购置更新=50306, 08 物资储备=50399,
    09 土地补偿=50305, 13 公务用车购置=50303, 99 其他资本性支出=50399
311 对企业补助: 02 费用补贴=50701, 03 利息补贴=50702, 99 其他对企业补助=50799
313 对社会保障基金补助: 02 对社会保险基金补助=51002, 03 补充全国社会保障基金=51003
399 其他支出: 06 赠与=59906, 07 国家赔偿费用支出=59907,
    08 对民间非营利组织和群众性自治组织补贴=59908, 99 其他支出=59999
"""

_FUND_TYPE = (
    ("1", "财政拨款资金"),
    ("11", "一般公共预算"),
    ("111", "一般公共预算资金"),
    ("112", "一般债券"),
    ("113", "外国政府和国际组织贷款"),
    ("114", "外国政府和国际组织赠款"),
    ("12", "政府性基金预算"),
    ("121", "政府性基金预算资金"),
    ("122", "专项债券"),
    ("13", "国有资本经营预算资金"),
    ("14", "社会保险基金"),
    ("2", "财政专户管理资金"),
    ("21", "教育收费"),
    ("29", "其他财政专户管理资金"),
    ("3", "单位资金"),
    ("31", "事业收入"),
    ("32", "事业单位经营收入"),
    ("33", "上级补助收入"),
    ("34", "附属单位上缴收入"),
    ("35", "非同级财政拨款"),
    ("39", "其他收入"),
)

_ACCOUNT_TYPE = (
    ("11", "国库单一账户"),
    ("12", "财政专户"),
    ("21", "单位零余额账户"),
    ("22", "财政零余额账户"),
    ("23", "特设专户"),
    ("31", "单位基本存款账户"),
    ("32", "单位专用存款账户"),
    ("33", "单位一般存款账户"),
    ("34", "单位临时存款账户"),
)

# Local children a region adds under a standard 款 (codes 81–89 are left to provinces and below).
_LOCAL_ITEMS = (
    "数字化改革",
    "专项整治",
    "试点示范",
    "重点工作",
    "专项业务",
    "能力提升",
    "绩效评价",
    "信息系统运维",
    "标准化建设",
)

# (name, basic unit kind, units at a city seat, whether counties have one)
_DEPARTMENTS: tuple[tuple[str, str, int, bool], ...] = (
    ("人大常委会办公室", "", 4, True),
    ("政协办公室", "", 3, True),
    ("政府办公室", "", 8, True),
    ("组织部", "", 5, True),
    ("宣传部", "", 6, True),
    ("统战部", "", 4, True),
    ("政法委员会", "", 4, True),
    ("纪律检查委员会", "", 6, True),
    ("机构编制委员会办公室", "", 2, True),
    ("发展和改革委员会", "", 10, True),
    ("教育局", "school", 90, True),
    ("科学技术局", "", 8, True),
    ("工业和信息化局", "", 8, True),
    ("公安局", "police", 60, True),
    ("民政局", "welfare", 24, True),
    ("司法局", "justice", 20, True),
    ("财政局", "finance", 24, True),
    ("人力资源和社会保障局", "", 16, True),
    ("自然资源和规划局", "land", 28, True),
    ("生态环境局", "", 14, True),
    ("住房和城乡建设局", "", 18, True),
    ("交通运输局", "road", 24, True),
    ("水利局", "water", 22, True),
    ("农业农村局", "farm", 30, True),
    ("商务局", "", 8, True),
    ("文化广电旅游局", "culture", 26, True),
    ("卫生健康委员会", "health", 70, True),
    ("退役军人事务局", "", 6, True),
    ("应急管理局", "", 10, True),
    ("审计局", "", 6, True),
    ("国有资产监督管理委员会", "", 8, False),
    ("市场监督管理局", "market", 30, True),
    ("体育局", "", 8, True),
    ("统计局", "", 6, True),
    ("医疗保障局", "", 8, True),
    ("城市管理局", "", 16, True),
    ("金融工作局", "", 4, False),
    ("林业局", "forest", 20, True),
    ("粮食和物资储备局", "", 8, True),
    ("数据资源管理局", "", 6, False),
    ("行政审批服务局", "", 6, True),
    ("信访局", "", 4, True),
    ("机关事务管理局", "", 8, True),
    ("档案馆", "", 3, True),
    ("地方志办公室", "", 2, False),
    ("人民法院", "court", 12, True),
    ("人民检察院", "", 8, True),
    ("总工会", "", 5, True),
    ("共青团委员会", "", 4, True),
    ("妇女联合会", "", 4, True),
    ("科学技术协会", "", 4, True),
    ("残疾人联合会", "", 6, True),
    ("红十字会", "", 3, True),
    ("供销合作社", "", 6, False),
    ("党校", "", 3, True),
    ("融媒体中心", "", 5, True),
    ("公共资源交易中心", "", 3, False),
    ("住房公积金管理中心", "", 8, False),
)

_SECONDARY = (
    "机关服务中心",
    "政务服务中心",
    "财务核算中心",
    "后勤保障中心",
    "应急指挥中心",
    "质量检测中心",
    "法律服务中心",
    "资料编研室",
    "信息中心",
    "事务服务中心",
    "综合行政执法大队",
    "培训中心",
    "发展研究中心",
    "监测中心",
    "档案管理中心",
    "宣传教育中心",
    "技术服务中心",
    "综合保障中心",
    "数据管理中心",
)

_BASIC_KINDS: dict[str, tuple[str, ...]] = {
    "school": ("中学", "小学", "幼儿园", "职业中学"),
    "police": ("派出所", "交通警察大队"),
    "welfare": ("敬老院", "社会福利院"),
    "justice": ("司法所",),
    "finance": ("财政所",),
    "land": ("自然资源所",),
    "road": ("公路养护站",),
    "water": ("水利站", "水文站"),
    "farm": ("农业技术推广站", "畜牧兽医站"),
    "culture": ("文化站", "图书分馆"),
    "health": ("社区卫生服务中心", "卫生院"),
    "market": ("市场监督管理所",),
    "forest": ("林业站", "国有林场"),
    "court": ("人民法庭",),
    "": ("服务站",),
}
_NUMBERED = {"中学", "小学", "幼儿园", "职业中学"}
_PLACES = (
    "城关",
    "东关",
    "西关",
    "南关",
    "北关",
    "新城",
    "老城",
    "江北",
    "江南",
    "河东",
    "河西",
    "山前",
    "桥头",
    "湖滨",
    "滨江",
    "清水",
    "白沙",
    "石岭",
    "马坊",
    "柳营",
    "杨庄",
    "李集",
    "王店",
    "张湾",
    "刘集",
    "陈庄",
    "黄岗",
    "周村",
    "吴桥",
    "郑店",
)
_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十, 99 → 九十九 (names use Chinese numerals)."""
    if not 1 <= n <= 999:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = _DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    if ones:
        text += _DIGITS[ones]
    return text


# -- element sets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Element:
    code: str
    name: str
    extra: tuple[tuple[str, str], ...] = ()


def _continued(table: str) -> str:
    """Join the indented continuation lines of a table to the line they continue."""
    return re.sub(r"\n {4}", " ", table)


def _parse_items(text: str) -> list[tuple[str, str]]:
    items = []
    for part in text.split(", "):
        if part.strip():
            code, name = part.strip().split(" ", 1)
            items.append((code, name))
    return items


def parse_hierarchy(table: str, standard: bool) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(类 code+name, then (款 code, 款 name, [(项 code, 项 name)])) rows of a 3-2-2 table.

    Returned flat: each row is (code, name, children) where a 类 row has no children list and a
    款 row carries its 项.
    """
    rows: list[tuple[str, str, list[tuple[str, str]]]] = []
    top = ""
    for line in _continued(table).strip("\n").splitlines():
        if not line.startswith(" "):
            top, name = line.split(" ", 1)
            rows.append((top, name, []))
            continue
        body = line.strip()
        if " | " in body or body.endswith(" |"):
            head, _, tail = body.partition(" |")
            with_standard = standard
        else:
            head, _, tail = body.partition(" !")
            with_standard = False
        code, name = head.strip().split(" ", 1)
        items = _parse_items(tail)
        if with_standard:
            base = [("01", "行政运行"), ("02", "一般行政管理事务"), ("03", "机关服务")]
            last = [
                ("50", "事业运行"),
                ("99", f"其他{name}" + ("" if name.endswith("支出") else "支出")),
            ]
            items = sorted(dict([*base, *items, *last]).items())
        rows.append((top + code, name, [(top + code + c, n) for c, n in items]))
    return rows


_EXP_ROWS = parse_hierarchy(_EXP_FUNC, standard=True)
_INCOME_ROWS = parse_hierarchy(_INCOME_SORT, standard=False)


def _two_level(table: str) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    rows = []
    for line in _continued(table).strip("\n").splitlines():
        head, tail = line.split(": ", 1)
        code, name = head.split(" ", 1)
        children = []
        for part in tail.split(", "):
            sub, rest = part.split(" ", 1)
            child_name, _, target = rest.partition("=")
            children.append((code + sub, child_name, target))
        rows.append((code, name, children))
    return rows


_GOV_ROWS = _two_level(_GOV_ECON)
_DEP_ROWS = _two_level(_DEP_ECON)


def exp_func_elements(region: Region, rng: random.Random) -> list[Element]:
    """The classification, plus a few local children of this region (one of them retired)."""
    elements: list[Element] = []
    rows = _EXP_ROWS
    if region.level == "county":
        # a county's copy keeps the 款 it budgets for: all 类, all "other" 款, most of the rest
        rows = [r for r in rows if len(r[0]) == 3 or r[0].endswith("99") or rng.random() < 0.7]
    with_local = [
        row for row in rows if len(row[0]) == 5 and any(c.endswith("01") for c, _ in row[2])
    ]
    chosen = {row[0] for row in rng.sample(with_local, k=min(len(with_local), rng.randint(4, 9)))}
    for code, name, children in rows:
        elements.append(Element(code, name))
        items = [Element(c, n) for c, n in children]
        if code in chosen:
            local = rng.sample(_LOCAL_ITEMS, k=rng.randint(2, 4))
            new = [Element(f"{code}{81 + i}", f"{name}{item}") for i, item in enumerate(local)]
            # the first local code was replaced mid-year by the second one
            new[0] = Element(
                new[0].code,
                new[0].name,
                (("end_date", RETIRED_ON), ("enabled", "false"), ("successor", f'"{new[1].code}"')),
            )
            items = (
                [i for i in items if not i.code.endswith("99")]
                + new
                + [i for i in items if i.code.endswith("99")]
            )
        elements.extend(items)
    return elements


def income_elements() -> list[Element]:
    out: list[Element] = []
    for code, name, children in _INCOME_ROWS:
        out.append(Element(code, name))
        out.extend(Element(c, n) for c, n in children)
    return out


def gov_econ_elements() -> list[Element]:
    out: list[Element] = []
    for code, name, children in _GOV_ROWS:
        out.append(Element(code, name))
        out.extend(Element(c, n) for c, n, _ in children)
    return out


def dep_econ_elements() -> list[Element]:
    out: list[Element] = []
    for code, name, children in _DEP_ROWS:
        out.append(Element(code, name))
        out.extend(Element(c, n, (("maps_to", f'"{t}"'),)) for c, n, t in children)
    return out


def agency_elements(region: Region, rng: random.Random) -> list[Element]:
    """Departments (3 digits, the primary unit 一级预算单位) and their units (3 more digits):
    secondary units under the department, basic units (schools, clinics, stations …) under a
    secondary unit."""
    seat = region.level == "city"
    out: list[Element] = []
    for index, (dept, kind, size, in_county) in enumerate(_DEPARTMENTS):
        if not seat and not in_county:
            continue
        dept_code = f"{101 + index:03d}"
        total = (
            max(2, round(size * rng.uniform(0.7, 1.3)))
            if seat
            else max(2, round(size * rng.uniform(0.15, 0.4)))
        )
        # the department itself is the primary unit (一级预算单位)
        out.append(
            Element(dept_code, dept, (("unit_level", "primary"), ("unit_type", "administrative")))
        )
        if kind == "":
            # offices without schools or stations: every unit reports to the department
            total = min(total, len(_SECONDARY))
            n_secondary = total
        else:
            n_secondary = 0 if total < 4 else max(1, min(len(_SECONDARY), total // 5))
        secondaries = [dept_code] if n_secondary == 0 else []
        number = 1
        for n in range(1, total + 1):
            code = f"{dept_code}{n:03d}"
            if n - 1 < n_secondary:
                name = dept + _SECONDARY[n - 1]
                out.append(
                    Element(
                        code,
                        name,
                        (
                            ("unit_level", "secondary"),
                            ("superior", f'"{dept_code}"'),
                            ("unit_type", "administrative"),
                        ),
                    )
                )
                secondaries.append(code)
                continue
            kinds = _BASIC_KINDS[kind]
            place = (n - 1 - n_secondary) // len(kinds)
            unit_kind = kinds[(n - 1 - n_secondary) % len(kinds)]
            if unit_kind in _NUMBERED or place >= len(_PLACES):
                name = f"第{chinese_number(number)}{unit_kind}"
                if unit_kind == kinds[-1]:
                    number += 1
            else:
                name = _PLACES[place] + unit_kind
            superior = secondaries[rng.randrange(len(secondaries))]
            out.append(
                Element(
                    code,
                    name,
                    (
                        ("unit_level", "basic"),
                        ("superior", f'"{superior}"'),
                        ("unit_type", "public-institution"),
                    ),
                )
            )
    return out


# -- writing -----------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A double-quoted YAML scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    return _q(str(value))


def emit(lines: list[str], indent: int, key: str, value: Any) -> None:
    """Append ``key: value`` in block style; mappings and lists nest below their key."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        lines.append(f"{pad}{key}:")
        for k, v in value.items():
            emit(lines, indent + 2, k, v)
    elif isinstance(value, list) and value:
        lines.append(f"{pad}{key}:")
        for item in value:
            emit_item(lines, indent + 2, item)
    elif isinstance(value, dict):
        lines.append(f"{pad}{key}: {{}}")
    elif isinstance(value, list):
        lines.append(f"{pad}{key}: []")
    else:
        lines.append(f"{pad}{key}: {_scalar(value)}")


def emit_item(lines: list[str], indent: int, item: Any) -> None:
    pad = " " * indent
    if isinstance(item, dict) and item:
        start = len(lines)
        for k, v in item.items():
            emit(lines, indent + 2, k, v)
        lines[start] = f"{pad}- {lines[start][indent + 2 :]}"
    elif isinstance(item, (dict, list)):
        lines.append(f"{pad}- {json.dumps(item, ensure_ascii=False)}")
    else:
        lines.append(f"{pad}- {_scalar(item)}")


def header(kind: str, path: str) -> list[str]:
    up = "../" * path.count("/")
    return [f"# yaml-language-server: $schema={up}schemas/{kind}.json", API, f"kind: {kind}"]


@dataclass
class Output:
    root: Path
    files: Counter[str] = field(default_factory=Counter)
    bytes: int = 0

    def write(self, path: str, kind: str, lines: list[str]) -> None:
        text = "\n".join(lines) + "\n"
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        target.write_bytes(data)
        self.files[kind] += 1
        self.bytes += len(data)


def write_element_set(
    out: Output,
    region: Region,
    folder: str,
    set_code: str,
    name: str,
    structure: tuple[int, ...],
    elements: list[Element],
    management: str,
    maps_to: str | None = None,
    extensible: bool = False,
) -> int:
    path = f"standards/elements/{folder}/{set_code}-{region.code}.yaml"
    lines = header("ElementSet", path)
    lines += [
        f"set_code: {set_code}",
        f"name: {name}",
        f"fiscal_year: {FISCAL_YEAR}",
        f"mof_div_code: {_q(region.code)}",
        f"management: {management}",
        "structure:",
        *(f"  - {width}" for width in structure),
    ]
    if extensible:
        lines.append("extensible: true")
    if maps_to:
        lines.append(f"maps_to: {maps_to}")
    lines += [
        "provenance:",
        "  status: from-memory",
        "  notes: generated for the benchmark; not real codes",
        "elements:",
    ]
    _check_codes(path, structure, elements)
    for element in elements:
        lines.append(f'  - code: "{element.code}"')
        lines.append(f"    name: {element.name}")
        lines.append(f"    start_date: {START}")
        lines.extend(f"    {key}: {value}" for key, value in element.extra)
    out.write(path, "ElementSet", lines)
    return len(elements)


def _check_codes(path: str, structure: tuple[int, ...], elements: list[Element]) -> None:
    """Fail loudly when a table edit breaks the rules the data must satisfy."""
    lengths = [sum(structure[: i + 1]) for i in range(len(structure))]
    seen: set[str] = set()
    for element in elements:
        code = element.code
        if len(code) not in lengths or not code.isdigit() or code in seen:
            raise AssertionError(f"{path}: bad or duplicated code {code}")
        level = lengths.index(len(code))
        if level and code[: lengths[level - 1]] not in seen:
            raise AssertionError(f"{path}: {code} comes before its parent")
        seen.add(code)


def write_elements(out: Output, cities: list[City], rng: random.Random) -> int:
    total = 0
    gov_codes = {
        code for code, _, children in _GOV_ROWS for code in [code, *(c for c, _, _ in children)]
    }
    missing = [t for _, _, children in _DEP_ROWS for _, _, t in children if t not in gov_codes]
    if missing:
        raise AssertionError(f"departmental codes map to missing government codes {missing}")
    for city in cities:
        for region in city.regions:
            management = region.level
            folder = city.code
            total += write_element_set(
                out,
                region,
                folder,
                "agency",
                "预算单位",
                (3, 3),
                agency_elements(region, rng),
                management,
            )
            total += write_element_set(
                out,
                region,
                folder,
                "exp_func",
                "支出功能分类科目",
                (3, 2, 2),
                exp_func_elements(region, rng),
                management,
                extensible=True,
            )
            total += write_element_set(
                out,
                region,
                folder,
                "gov_bgt_eco",
                "政府预算支出经济分类",
                (3, 2),
                gov_econ_elements(),
                management,
            )
            total += write_element_set(
                out,
                region,
                folder,
                "dep_bgt_eco",
                "部门预算支出经济分类",
                (3, 2),
                dep_econ_elements(),
                management,
                maps_to="gov_bgt_eco",
            )
            total += write_element_set(
                out,
                region,
                folder,
                "income_sort",
                "收入分类科目",
                (3, 2, 2),
                income_elements(),
                management,
            )
            total += write_element_set(
                out,
                region,
                folder,
                "fund_type",
                "资金性质",
                (1, 1, 1),
                [Element(c, n) for c, n in _FUND_TYPE],
                management,
                extensible=True,
            )
            total += write_element_set(
                out,
                region,
                folder,
                "account_type",
                "账户类型",
                (2,),
                [Element(c, n) for c, n in _ACCOUNT_TYPE],
                management,
            )
    return total


# -- configuration items -----------------------------------------------------------------------

# domain: module key 模块名, … (16 per domain)
_MODULE_TABLE = """
budget: preparation 预算编制, indicator 指标管理, project 项目库, adjustment 预算调整,
    transfer 转移支付, performance 绩效管理, approval 预算批复, revenue 收入预算, debt 债务管理,
    carryover 结转结余, asset 资产配置, basic_expense 基本支出, fund_pool 资金统筹,
    report 预算报表, disclosure 预决算公开, review 预算评审
execution: payment 支付管理, plan 用款计划, voucher 支付凭证, refund 退款管理,
    cross_year_refund 跨年退款, salary 工资统发, account 账户管理, clearing 清算管理,
    direct_pay 直接支付, authorized_pay 授权支付, card 公务卡, monitor 动态监控, cash 库款管理,
    income 收入收缴, non_tax 非税收入, procurement 政府采购
accounting: ledger 总账, voucher 记账凭证, closing 月结年结, final_account 决算,
    fixed_asset 固定资产, report 财务报表, reconcile 对账, budget_account 预算会计,
    financial_account 财务会计, consolidation 合并报表, debt_account 债务核算,
    fund_account 资金核算, unit_account 单位核算, archive 会计档案, cost 成本核算,
    period 会计期间
portal: login 登录, sso 单点登录, menu 菜单, notice 公告, todo 待办, message 消息, theme 界面,
    search 搜索, profile 个人中心, audit 访问审计, session 会话, captcha 验证码, help 帮助中心,
    feedback 意见反馈, dashboard 工作台, mobile 移动端
datahub: exchange 数据交换, tips 财税库银, bank 银行接口, pbc 人民银行接口, non_tax 非税接口,
    procurement 采购接口, upload 数据上报, distribute 数据下发, catalog 数据目录,
    quality 数据质量, lineage 数据血缘, queue 消息队列, file 文件传输, schedule 调度,
    monitor 接口监控, archive 归档
masterdata: element 要素管理, agency 单位管理, personnel 人员信息, account 账户信息,
    asset 资产信息, project 项目信息, region 区划信息, bank 银行信息, supplier 供应商信息,
    code_map 代码映射, version 版本管理, sync 数据同步, review 变更审核, publish 发布,
    import 导入, export 导出
business-platform: workflow 工作流, form 表单, rule_engine 规则引擎, report 报表引擎, print 打印,
    attachment 附件, signature 电子签章, calendar 工作日历, numbering 编号规则,
    dictionary 数据字典, notification 通知, task 任务, template 模板, export 导出,
    audit_log 操作日志, org 组织机构
tech-platform: gateway 网关, auth 认证, cache 缓存, mq 消息, scheduler 调度, log 日志,
    trace 链路追踪, config 配置中心, storage 对象存储, database 数据库, ratelimit 限流,
    circuit 熔断, monitor 监控, backup 备份, crypto 国密加密, registry 服务注册
"""
_MODULES: dict[str, tuple[tuple[str, str], ...]] = {
    domain: tuple((key, name) for key, name in (p.split(" ") for p in modules.split(", ")))
    for domain, modules in (
        row.split(": ") for row in _continued(_MODULE_TABLE).strip().splitlines()
    )
}

_AREAS = (
    ("approval", "审批"),
    ("notice", "提醒"),
    ("archive", "归档"),
    ("sync", "同步"),
    ("query", "查询"),
    ("batch", "批处理"),
    ("check", "校验"),
    ("log", "日志"),
)

_CLOCK = "^([01][0-9]|2[0-3]):[0-5][0-9]$"


@dataclass(frozen=True)
class Setting:
    suffix: str
    name: str
    type: str
    schema: dict[str, Any]
    choices: tuple[Any, ...]  # valid values; the default is one of them, an override another


_SETTINGS = (
    Setting("enabled", "启用", "boolean", {"type": "boolean"}, (True, False)),
    Setting("audit_required", "需要复核", "boolean", {"type": "boolean"}, (True, False)),
    Setting(
        "max_amount",
        "单笔金额上限",
        "integer",
        {"type": "integer", "minimum": 0, "maximum": 100_000_000_000},
        (5_000_000, 10_000_000, 50_000_000, 100_000_000),
    ),
    Setting(
        "daily_count_limit",
        "每日笔数上限",
        "integer",
        {"type": "integer", "minimum": 1, "maximum": 100_000},
        (500, 1000, 5000, 20000),
    ),
    Setting(
        "retry_times",
        "失败重试次数",
        "integer",
        {"type": "integer", "minimum": 0, "maximum": 10},
        (0, 3, 5),
    ),
    Setting(
        "timeout_seconds",
        "超时秒数",
        "integer",
        {"type": "integer", "minimum": 1, "maximum": 3600},
        (30, 60, 120, 300),
    ),
    Setting(
        "mode",
        "处理模式",
        "string",
        {"type": "string", "enum": ["realtime", "batch", "manual"]},
        ("realtime", "batch", "manual"),
    ),
    Setting(
        "channels",
        "提醒渠道",
        "array",
        {
            "type": "array",
            "items": {"type": "string", "enum": ["portal", "sms", "email"]},
            "uniqueItems": True,
            "minItems": 1,
        },
        (["portal"], ["portal", "sms"], ["portal", "email"]),
    ),
    Setting(
        "retention_days",
        "保留天数",
        "integer",
        {"type": "integer", "minimum": 30, "maximum": 3650},
        (180, 365, 1825),
    ),
    Setting(
        "approval_levels",
        "审批级数",
        "integer",
        {"type": "integer", "minimum": 1, "maximum": 5},
        (1, 2, 3),
    ),
    Setting(
        "warning_ratio",
        "预警比例",
        "number",
        {"type": "number", "minimum": 0, "maximum": 1},
        (0.8, 0.9, 0.95),
    ),
    Setting(
        "cutoff_time",
        "截止时间",
        "string",
        {"type": "string", "pattern": _CLOCK},
        ("16:30", "17:00", "17:30"),
    ),
    Setting(
        "batch_size",
        "批量条数",
        "integer",
        {"type": "integer", "minimum": 1, "maximum": 10000},
        (100, 500, 1000),
    ),
    Setting(
        "page_size",
        "每页条数",
        "integer",
        {"type": "integer", "minimum": 10, "maximum": 500},
        (20, 50, 100),
    ),
    Setting("year_end_switch", "年终处理开关", "boolean", {"type": "boolean"}, (False, True)),
    Setting("workdays_only", "仅工作日执行", "boolean", {"type": "boolean"}, (True, False)),
    Setting(
        "precision",
        "金额精度",
        "integer",
        {"type": "integer", "minimum": 0, "maximum": 4},
        (2, 0, 4),
    ),
    Setting(
        "caliber",
        "统计口径",
        "string",
        {"type": "string", "enum": ["plan", "payment"]},
        ("payment", "plan"),
    ),
    Setting(
        "window",
        "执行时段",
        "object",
        {
            "type": "object",
            "properties": {
                "start": {"type": "string", "pattern": _CLOCK},
                "end": {"type": "string", "pattern": _CLOCK},
            },
            "required": ["start", "end"],
            "additionalProperties": False,
        },
        ({"start": "08:30", "end": "17:30"}, {"start": "00:30", "end": "06:00"}),
    ),
    Setting(
        "excluded_regions",
        "不适用区划",
        "array",
        {
            "type": "array",
            "items": {"type": "string", "pattern": "^[0-9]{9}$"},
            "uniqueItems": True,
        },
        ([], ["990000000"]),
    ),
)


@dataclass(frozen=True)
class ConfigItem:
    key: str
    level: int
    setting: Setting
    default: Any


def config_items(rng: random.Random) -> dict[str, list[ConfigItem]]:
    items: dict[str, list[ConfigItem]] = {}
    for domain in DOMAINS:
        prefix = domain.replace("-", "_")
        found = []
        for module, _ in _MODULES[domain]:
            for area, _ in _AREAS:
                for setting in _SETTINGS:
                    level = rng.choices((1, 2, 3), weights=(3, 4, 3))[0]
                    default = setting.choices[rng.randrange(len(setting.choices))]
                    found.append(
                        ConfigItem(
                            f"{prefix}.{module}.{area}.{setting.suffix}", level, setting, default
                        )
                    )
        items[domain] = found
    return items


def write_config_items(out: Output, items: dict[str, list[ConfigItem]]) -> int:
    total = 0
    for domain, found in items.items():
        path = f"standards/system-config/{domain}.yaml"
        lines = header("ConfigItemSet", path)
        lines += [f"domain: {domain}", "items:"]
        modules = dict(_MODULES[domain])
        areas = dict(_AREAS)
        for item in found:
            _, module, area, _ = item.key.split(".")
            lines.append(f"  - key: {item.key}")
            lines.append(f"    name: {modules[module]}{areas[area]}{item.setting.name}")
            lines.append(f"    type: {item.setting.type}")
            emit(lines, 4, "schema", item.setting.schema)
            emit(lines, 4, "default", item.default)
            lines.append(f"    management_level: {item.level}")
            if item.setting.suffix == "retention_days":
                # the modules' own work files and logs, not accounting records
                lines.append("    retains: []")
        out.write(path, "ConfigItemSet", lines)
        total += len(found)
    return total


def overrides_for(
    stage: str, regions: list[Region], items: dict[str, list[ConfigItem]], rng: random.Random
) -> list[dict[str, Any]]:
    """Overrides a stage's regions set: city seats several, counties a few of the level-3 items."""
    pool = [item for found in items.values() for item in found if item.level > 1]
    county_pool = [item for item in pool if item.level == 3]
    per_seat, per_county = {"acceptance": (2, 0), "pre-release": (3, 1), "production": (6, 2)}[
        stage
    ]
    out: list[dict[str, Any]] = []
    for region in regions:
        count, choices = (per_seat, pool) if region.level == "city" else (per_county, county_pool)
        for item in rng.sample(choices, k=count):
            value = next(c for c in item.setting.choices if c != item.default)
            out.append(
                {
                    "key": item.key,
                    "mof_div_code": region.code,
                    "value": value,
                    "ticket": f"TAPD-{1030000 + rng.randrange(90000)}",
                    "reason": f"{region.name}按本地管理要求调整",
                }
            )
    return out


# -- control rules -----------------------------------------------------------------------------

_RULE_GROUPS: dict[str, tuple[str, tuple[tuple[str, str], ...], int]] = {
    "execution": (
        "ZXJK",
        (
            ("ZF", "支付"),
            ("JH", "用款计划"),
            ("ZH", "账户"),
            ("GZ", "工资发放"),
            ("CG", "政府采购"),
        ),
        80,
    ),
    "budget": ("YSJK", (("ZB", "指标"), ("XM", "项目"), ("TZ", "预算调整")), 50),
    "accounting": ("HSJK", (("PZ", "记账凭证"), ("DZ", "对账")), 50),
}
_CONDITIONS = (
    "{0}金额超过可用额度",
    "{0}收款人为本单位工作人员",
    "{0}用途含有禁止性摘要",
    "{0}在非工作时间发起",
    "{0}拆分支付规避审批",
    "{0}向同一收款人重复支付",
    "{0}资金性质与经济分类不匹配",
    "{0}超出年度预算",
    "{0}现金提取超过限额",
    "{0}跨年度调整",
)
# warning level → handling, as the platform fixes them
_HANDLING = {1: 1, 2: 1, 3: 2, 4: 4, 5: 5}


def write_control_rules(out: Output, rng: random.Random) -> int:
    total = 0
    for domain, (prefix, groups, per_group) in _RULE_GROUPS.items():
        path = f"standards/control-rules/{domain}.yaml"
        lines = header("ControlRuleSet", path)
        lines += [f"domain: {domain}", "rules:"]
        for group, subject in groups:
            for n in range(1, per_group + 1):
                level = rng.choice((1, 1, 2, 3, 3, 4, 5, 5))
                scheduled = level == 5 and rng.random() < 0.5
                condition = _CONDITIONS[(n - 1) % len(_CONDITIONS)].format(subject)
                lines.append(f"  - id: {prefix}-{group}-{n:03d}")
                lines.append(f"    name: {condition}监控第{chinese_number(n)}条")
                lines.append(f"    warning_level: {level}")
                lines.append(f"    handling: {_HANDLING[level]}")
                lines.append(f"    trigger: {2 if scheduled else 1}")
                if level == 2:
                    lines.append("    attachment_required: true")
                if scheduled:
                    lines.append(f'    schedule: "0 {rng.randint(1, 5)} * * *"')
                lines.append(f"    management_level: {rng.choice((1, 1, 2, 3))}")
                lines.append(f"    condition: {condition}")
                total += 1
        out.write(path, "ControlRuleSet", lines)
    return total


# -- releases, clusters, namespaces, databases --------------------------------------------------

_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("budget-preparation", "budget"),
    ("budget-indicator", "budget"),
    ("budget-project", "budget"),
    ("execution-payment", "execution"),
    ("execution-plan", "execution"),
    ("execution-salary", "execution"),
    ("accounting-ledger", "accounting"),
    ("accounting-report", "accounting"),
    ("portal-web", "portal"),
    ("portal-sso", "portal"),
    ("datahub-exchange", "datahub"),
    ("datahub-tips", "datahub"),
    ("masterdata-element", "masterdata"),
    ("masterdata-agency", "masterdata"),
    ("bizplat-workflow", "business-platform"),
    ("bizplat-rule-engine", "business-platform"),
    ("techplat-gateway", "tech-platform"),
    ("techplat-auth", "tech-platform"),
    ("techplat-scheduler", "tech-platform"),
)
_RELEASES = (
    ("3.7.0", "2026-03-16", "春季版本"),
    ("3.8.0", "2026-06-22", "年中版本"),
    ("3.8.1", "2026-08-10", "年中版本补丁"),
    ("3.9.0", "2026-10-26", "年终决算版本"),
)
PINNED = {"acceptance": "3.9.0", "pre-release": "3.9.0", "production": "3.8.1"}


def _hex(text: str, length: int = 64) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _base36(text: str, length: int = 8) -> str:
    number = int(_hex(text), 16)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(length):
        number, rest = divmod(number, 36)
        out += digits[rest]
    return out


def write_releases(out: Output) -> None:
    for version, published, title in _RELEASES:
        path = f"standards/releases/{version}.yaml"
        lines = header("Release", path)
        lines += [
            f'version: "{version}"',
            f"published: {published}",
            f"title: 数字财政平台 {version} {title}",
            "components:",
        ]
        for name, domain in _COMPONENTS:
            digest = _hex(f"{name}:{version}")
            lines += [
                f"  - name: {name}",
                f"    domain: {domain}",
                f"    image: ccr.xx-gov.example/dfp/{name}:{version}@sha256:{digest}",
            ]
        out.write(path, "Release", lines)


@dataclass(frozen=True)
class Namespace:
    name: str
    cluster: str
    stage: str
    domain: str
    region: str | None


# per-namespace quota: (requests.cpu, requests.memory Gi, limits.cpu, limits.memory Gi, pods)
_QUOTA = (8, 16, 16, 32, 100)


def plan_namespaces(cities: list[City]) -> tuple[dict[str, list[str]], list[Namespace]]:
    """Clusters of each stage and the namespaces on them: shared ones per domain in every stage,
    and in production one per city and domain, spread over four clusters."""
    clusters = {
        "acceptance": ["tke-acc-a"],
        "pre-release": ["tke-pre-a"],
        "production": ["tke-prod-a", "tke-prod-b", "tke-prod-c", "tke-prod-d"],
    }
    found: list[Namespace] = []
    for stage in STAGES:
        for domain in DOMAINS:
            found.append(
                Namespace(
                    f"dfp-{domain}-{STAGE_SHORT[stage]}", clusters[stage][0], stage, domain, None
                )
            )
    prod = clusters["production"]
    for index, city in enumerate(cities):
        for domain in DOMAINS:
            cluster = prod[index % len(prod)]
            found.append(
                Namespace(
                    f"dfp-{domain}-{city.code}-prod", cluster, "production", domain, city.seat.code
                )
            )
    return clusters, found


def write_clusters(
    out: Output, clusters: dict[str, list[str]], namespaces: list[Namespace]
) -> None:
    per_cluster = Counter(ns.cluster for ns in namespaces)
    for stage, names in clusters.items():
        for name in names:
            hosted = per_cluster[name]
            path = f"cloud/clusters/{name}.yaml"
            lines = header("Cluster", path)
            # capacity rounded up to whole 64-core / 256 GiB steps above what the quotas promise
            cpu = (hosted * _QUOTA[2] // 64 + 1) * 64
            memory = (hosted * _QUOTA[3] // 256 + 1) * 256
            pods = (hosted * _QUOTA[4] // 1000 + 1) * 1000
            lines += [
                f"name: {name}",
                "provider: tke",
                f"cluster_id: cls-{_base36(name)}",
                "cloud_region: xx-gov-cloud-1",
                'kubernetes_version: "1.30"',
                f"environment: {stage}",
                "capacity:",
                f'  cpu: "{cpu}"',
                f"  memory: {memory}Gi",
                f'  pods: "{pods}"',
                "  storage: 40Ti",
            ]
            out.write(path, "Cluster", lines)


def write_namespaces(out: Output, namespaces: list[Namespace], rng: random.Random) -> None:
    for ns in namespaces:
        path = f"cloud/namespaces/{ns.stage}/{ns.name}.yaml"
        lines = header("Namespace", path)
        lines += [
            f"name: {ns.name}",
            f"cluster: {ns.cluster}",
            f"environment: {ns.stage}",
            f"domain: {ns.domain}",
        ]
        if ns.region:
            lines.append(f'region: "{ns.region}"')
        rc, rm, lc, lm, pods = _QUOTA
        lines += [
            "quota:",
            f'  requests.cpu: "{rc}"',
            f"  requests.memory: {rm}Gi",
            f'  limits.cpu: "{lc}"',
            f"  limits.memory: {lm}Gi",
            f'  pods: "{pods}"',
            "limit_range:",
            "  default:",
            '    cpu: "1"',
            "    memory: 2Gi",
            "  default_request:",
            "    cpu: 500m",
            "    memory: 1Gi",
            "  max:",
            '    cpu: "4"',
            "    memory: 8Gi",
            "workloads:",
        ]
        for component, domain in _COMPONENTS:
            if domain != ns.domain:
                continue
            replicas = rng.randint(2, 4) if ns.stage == "production" else 1
            lines += [
                f"  - name: {component}",
                f"    component: {component}",
                f"    replicas: {replicas}",
            ]
        out.write(path, "Namespace", lines)


def write_tdsql(out: Output, cities: list[City]) -> None:
    for stage in STAGES:
        path = f"cloud/tdsql/{stage}.yaml"
        lines = header("TdsqlInventory", path)
        lines += [f"environment: {stage}", "instances:"]
        wanted = [(f"dfp-{domain}-{STAGE_SHORT[stage]}", domain, "") for domain in DOMAINS]
        if stage == "production":
            wanted += [
                (f"dfp-{domain}-{city.code}", domain, city.name)
                for city in cities
                for domain in ("budget", "execution", "accounting")
            ]
        for name, domain, city_name in wanted:
            big = stage == "production" and domain in ("execution", "accounting")
            prefix = "tdsqlshard" if big else "tdsql"
            lines += [
                f"  - id: {prefix}-{_base36(name)}",
                f"    name: {city_name}{name}",
                f"    domain: {domain}",
                "    engine: mysql-8.0",
                f"    cpu: {16 if big else 4}",
                f"    memory_gb: {64 if big else 16}",
                f"    storage_gb: {2000 if big else 500}",
                f"    shards: {4 if big else 1}",
                f"    replicas_per_shard: {3 if stage == 'production' else 2}",
                f"    backup_retention_days: {30 if stage == 'production' else 7}",
            ]
        out.write(path, "TdsqlInventory", lines)


# -- environments ------------------------------------------------------------------------------


def stage_regions(stage: str, cities: list[City]) -> list[Region]:
    """Production and pre-release serve every region; acceptance each city seat and one county."""
    if stage == "acceptance":
        return [r for city in cities for r in city.regions[:2]]
    return [r for city in cities for r in city.regions]


def write_environments(
    out: Output,
    cities: list[City],
    clusters: dict[str, list[str]],
    items: dict[str, list[ConfigItem]],
    rng: random.Random,
) -> int:
    total = 0
    for stage in STAGES:
        path = f"environments/{stage}/environment.yaml"
        lines = header("Environment", path)
        lines += [f"name: {stage}", f"title: {STAGE_TITLE[stage]}", "clusters:"]
        lines += [f"  - {name}" for name in clusters[stage]]
        lines.append("regions:")
        regions = stage_regions(stage, cities)
        for region in regions:
            lines += [
                f'  - mof_div_code: "{region.code}"',
                f"    name: {region.name}",
                f"    level: {region.level}",
            ]
        lines += [
            "release:",
            f'  version: "{PINNED[stage]}"',
            "timezone: Asia/Shanghai",
            "change_windows:",
            "  - days:",
            "      - tue",
            "      - thu",
            '    start: "22:00"',
            '    end: "02:00"',
            "freezes:",
            "  - name: 年终决算",
            "    start: 2026-12-25",
            "    end: 2027-01-15",
            "    reason: 年终决算期间只做必要的紧急变更",
        ]
        overrides = overrides_for(stage, regions, items, rng)
        emit(lines, 0, "config_overrides", overrides)
        total += len(overrides)
        out.write(path, "Environment", lines)
    return total


# -- portal and data hub -----------------------------------------------------------------------

# id | name | owner (财政局 office) | category | exposure | domain of its namespaces | menu group
_SYSTEM_TABLE = """
budget-mgmt | 预算管理系统 | 预算科 | platform | internal | budget | 预算管理
indicator-mgmt | 指标管理系统 | 预算科 | platform | internal | budget | 预算管理
payment-mgmt | 国库集中支付系统 | 国库科 | platform | internal | execution | 预算执行
salary-mgmt | 工资统发系统 | 国库科 | platform | internal | execution | 预算执行
accounting-mgmt | 总预算会计核算系统 | 国库科 | platform | internal | accounting | 会计核算
final-account | 决算管理系统 | 预算科 | platform | internal | accounting | 会计核算
unified-portal | 统一门户 | 信息中心 | platform | public | portal | 门户
datahub-console | 数据中枢管理台 | 信息中心 | platform | internal | datahub | 数据中枢
masterdata-mgmt | 基础信息管理系统 | 信息中心 | platform | internal | masterdata | 基础信息
workflow-center | 业务中台流程中心 | 信息中心 | platform | internal | business-platform | 平台管理
ops-console | 技术中台运维管理台 | 信息中心 | platform | internal | tech-platform | 平台管理
asset-mgmt | 行政事业单位资产管理系统 | 资产管理科 | integrated | internal | - | 资产管理
non-tax-collection | 非税收入收缴系统 | 综合科 | integrated | internal | - | 收入管理
gov-procurement | 政府采购管理系统 | 政府采购科 | integrated | internal | - | 政府采购
debt-mgmt | 政府债务管理系统 | 债务管理科 | integrated | internal | - | 债务管理
performance-eval | 预算绩效评价系统 | 绩效管理科 | integrated | internal | - | 绩效管理
social-fund | 社会保险基金监管系统 | 社会保障科 | integrated | internal | - | 社保基金
public-disclosure | 预决算公开平台 | 预算科 | integrated | public | - | 信息公开
archive-mgmt | 电子会计档案系统 | 会计科 | integrated | internal | - | 会计核算
hr-info | 机构编制和人员信息系统 | 行政政法科 | integrated | internal | - | 基础信息
"""


@dataclass(frozen=True)
class System:
    id: str
    name: str
    owner: str
    category: str
    exposure: str
    domain: str | None  # platform systems run in that domain's namespaces
    menu_group: str


_SYSTEMS = [
    System(sid, name, owner, category, exposure, None if domain == "-" else domain, group)
    for sid, name, owner, category, exposure, domain, group in (
        (cell.strip() for cell in row.split("|")) for row in _SYSTEM_TABLE.strip().splitlines()
    )
]

# (id, name, category, bank code)
_PEERS = (
    ("pbc-tips", "人民银行财税库银横向联网系统", "pbc", None),
    ("pbc-tcbs", "人民银行国库会计数据集中系统", "pbc", None),
    ("bank-icbc", "中国工商银行", "agent-bank", "102"),
    ("bank-abc", "中国农业银行", "agent-bank", "103"),
    ("bank-boc", "中国银行", "agent-bank", "104"),
    ("bank-ccb", "中国建设银行", "agent-bank", "105"),
    ("bank-bocom", "交通银行", "agent-bank", "301"),
    ("non-tax-agency", "非税收入代收平台", "non-tax", None),
    ("procurement-mall", "政府采购电子卖场", "procurement", None),
    ("tax-bureau", "税务局征管系统", "government", None),
    ("social-insurance", "社会保险经办系统", "government", None),
    ("audit-office", "审计局联网审计系统", "government", None),
)

_PEOPLE = (
    "王芳",
    "李娜",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄敏",
    "周杰",
    "吴琳",
    "徐明",
    "孙丽",
)


# members of the security group, who approve paths open to the internet
SECURITY_GROUP = ("赵磊", "黄敏")


def write_portal_systems(out: Output, cities: list[City]) -> None:
    all_regions = stage_regions("production", cities)
    seats = [city.seat for city in cities]
    for order, system in enumerate(_SYSTEMS, start=1):
        path = f"portal/systems/{system.id}.yaml"
        platform = system.category == "platform"
        lines = header("PortalSystem", path)
        lines += [
            f"id: {system.id}",
            f"name: {system.name}",
            f"owner: 财政局{system.owner}",
            f"contact: {_PEOPLE[order % len(_PEOPLE)]}",
            f"category: {system.category}",
            f"exposure: {system.exposure}",
            f"url: https://{system.id}.dfp.xx-gov.example/",
            "sso: oauth2",
            f"client_secret: secret://vault/portal/{system.id}",
            "regions:",
        ]
        lines += [f'  - "{r.code}"' for r in (all_regions if platform else seats)]
        stages = STAGES if platform else ("pre-release", "production")
        lines.append("environments:")
        lines += [f"  - {s}" for s in stages]
        lines += ["menu:", f"  group: {system.menu_group}", f"  order: {order * 10}", "network:"]
        if system.domain is not None:
            lines.append("  namespaces:")
            lines += [f"    {s}: dfp-{system.domain}-{STAGE_SHORT[s]}" for s in stages]
        else:
            lines += ["  cidrs:", f"    - 10.200.{order}.0/24"]
        out.write(path, "PortalSystem", lines)


def write_peers(out: Output) -> None:
    for n, (pid, name, category, bank_code) in enumerate(_PEERS, start=1):
        path = f"datahub/peers/{pid}.yaml"
        lines = header("DatahubPeer", path)
        lines += [f"id: {pid}", f"name: {name}", f"category: {category}"]
        if bank_code:
            lines.append(f'bank_code: "{bank_code}"')
        lines += ["cidrs:", f"  - 172.16.{n}.0/24", f"contact: {_PEOPLE[n % len(_PEOPLE)]}"]
        lines.append(f'region: "{PROVINCE_CODE}"')
        out.write(path, "DatahubPeer", lines)


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    stage: str
    source: dict[str, str]
    destination: dict[str, str]
    ports: tuple[int, ...]


# id | name | provider | consumer | protocol direction mode | message types | element sets
_INTERFACE_TABLE = """
tips-tax-receipt | 财税库银电子缴库信息 | pbc-tips | datahub-console | mq inbound online | 3001 3004
    | income_sort
tips-reconcile | 财税库银对账 | pbc-tips | datahub-console | mq inbound batch | 3501 | income_sort
tcbs-payment-voucher | 国库集中支付电子凭证 | payment-mgmt | pbc-tcbs | mq outbound online
    | 5201 8202 | agency exp_func dep_bgt_eco
tcbs-clearing-quota | 清算额度通知 | payment-mgmt | pbc-tcbs | mq outbound online | 5108 5106
    | agency fund_type
tcbs-reconcile | 国库对账 | pbc-tcbs | payment-mgmt | mq inbound batch | 3501 | agency
non-tax-payment | 非税缴款信息 | non-tax-agency | non-tax-collection | rest inbound online |
    | income_sort agency
procurement-contract | 采购合同信息 | procurement-mall | gov-procurement | rest inbound online |
    | agency exp_func
tax-revenue-daily | 税收收入日报 | tax-bureau | datahub-console | file inbound batch | | income_sort
social-fund-transfer | 社保基金划拨 | payment-mgmt | social-insurance | rest outbound online |
    | agency fund_type
audit-data-feed | 联网审计数据报送 | datahub-console | audit-office | db outbound batch |
    | agency exp_func gov_bgt_eco
indicator-to-payment | 预算指标下达 | indicator-mgmt | payment-mgmt | rest outbound online |
    | agency exp_func gov_bgt_eco
payment-to-ledger | 支付数据记账 | payment-mgmt | accounting-mgmt | mq outbound online |
    | agency exp_func dep_bgt_eco
masterdata-distribute | 基础信息下发 | masterdata-mgmt | budget-mgmt | rest outbound batch |
    | agency exp_func account_type
asset-to-budget | 资产配置预算 | asset-mgmt | budget-mgmt | rest inbound online | | agency dep_bgt_eco
debt-to-budget | 债务限额与余额 | debt-mgmt | budget-mgmt | rest inbound batch | | fund_type
performance-feedback | 绩效评价结果反馈 | performance-eval | budget-mgmt | rest inbound batch |
    | agency
hr-salary-base | 编制人员工资基数 | hr-info | salary-mgmt | rest inbound batch | | agency
disclosure-publish | 预决算公开数据 | final-account | public-disclosure | file outbound batch |
    | agency exp_func
archive-voucher | 会计凭证归档 | accounting-mgmt | archive-mgmt | file outbound batch | | agency
"""
# what every agent bank exchanges with the payment system: id suffix | name suffix | provider is
# the bank (inbound) or not | protocol direction mode | element sets
_BANK_TABLE = (
    ("payment", "代理支付指令", "payment-mgmt", "mq outbound online", "agency account_type"),
    ("receipt", "支付回单", "", "mq inbound online", "agency"),
    ("balance", "零余额账户余额", "", "rest inbound batch", "account_type"),
    ("salary", "工资代发", "salary-mgmt", "file outbound batch", "agency"),
)


@dataclass(frozen=True)
class Interface:
    id: str
    name: str
    provider: str
    consumer: str
    protocol: str
    direction: str
    mode: str
    message_types: tuple[str, ...]
    element_sets: tuple[str, ...]


def _interfaces() -> list[Interface]:
    found = []
    for row in _continued(_INTERFACE_TABLE).strip().splitlines():
        iid, name, provider, consumer, how, messages, sets = (c.strip() for c in row.split("|"))
        protocol, direction, mode = how.split()
        found.append(
            Interface(
                iid,
                name,
                provider,
                consumer,
                protocol,
                direction,
                mode,
                tuple(messages.split()),
                tuple(sets.split()),
            )
        )
    for pid, bank, category, _ in _PEERS:
        if category != "agent-bank":
            continue
        short = pid.split("-", 1)[1]
        for suffix, what, system, how, sets in _BANK_TABLE:
            protocol, direction, mode = how.split()
            provider, consumer = (system, pid) if system else (pid, "payment-mgmt")
            found.append(
                Interface(
                    f"{short}-{suffix}",
                    bank + what,
                    provider,
                    consumer,
                    protocol,
                    direction,
                    mode,
                    (),
                    tuple(sets.split()),
                )
            )
    return found


_INTERFACES = _interfaces()


def plan_policies(cities: list[City]) -> tuple[list[Policy], dict[str, dict[str, str]]]:
    """Access policies: one per data hub interface and stage (production and pre-release), office
    networks of each city to the portal, city namespaces to the banks, the public portal entry."""
    policies: list[Policy] = []
    for_interface: dict[str, dict[str, str]] = {}

    def add(
        stage: str,
        title: str,
        source: dict[str, str],
        destination: dict[str, str],
        ports: tuple[int, ...],
    ) -> str:
        pid = f"AP-2026-{len(policies) + 1:04d}"
        policies.append(Policy(pid, title, stage, source, destination, ports))
        return pid

    for interface in _INTERFACES:
        iid, name, provider, consumer = (
            interface.id,
            interface.name,
            interface.provider,
            interface.consumer,
        )
        port = {"mq": 1414, "rest": 443, "file": 22, "db": 3306}[interface.protocol]
        for_interface[iid] = {
            stage: add(
                stage, f"{name}接口访问", {"system": provider}, {"system": consumer}, (port,)
            )
            for stage in ("pre-release", "production")
        }
    add(
        "production",
        "互联网访问统一门户",
        {"cidr": "0.0.0.0/0"},
        {"system": "unified-portal"},
        (443,),
    )
    add(
        "production",
        "互联网访问预决算公开平台",
        {"cidr": "0.0.0.0/0"},
        {"system": "public-disclosure"},
        (443,),
    )
    for n, city in enumerate(cities, start=1):
        office = f"10.{100 + n}.0.0/16"
        add(
            "production",
            f"{city.name}财政局办公网访问门户",
            {"cidr": office},
            {"system": "unified-portal"},
            (443,),
        )
        add(
            "pre-release",
            f"{city.name}财政局办公网访问门户",
            {"cidr": office},
            {"system": "unified-portal"},
            (443,),
        )
        add(
            "acceptance",
            f"{city.name}验收测试终端访问门户",
            {"cidr": f"10.{100 + n}.250.0/24"},
            {"system": "unified-portal"},
            (443, 8443),
        )
        for bank in ("bank-icbc", "bank-ccb"):
            add(
                "production",
                f"{city.name}支付服务访问代理银行",
                {"namespace": f"dfp-execution-{city.code}-prod"},
                {"system": bank},
                (1414,),
            )
        add(
            "production",
            f"{city.name}核算服务访问电子档案",
            {"namespace": f"dfp-accounting-{city.code}-prod"},
            {"system": "archive-mgmt"},
            (443,),
        )
    return policies, for_interface


def write_policies(out: Output, policies: list[Policy], rng: random.Random) -> None:
    first = dt.date(2026, 6, 1)
    for n, policy in enumerate(policies):
        approved = first + dt.timedelta(days=rng.randrange(170))
        expires = approved + dt.timedelta(days=rng.choice((182, 270, 365)))
        path = f"portal/access-policies/{policy.stage}/{policy.id}.yaml"
        lines = header("AccessPolicy", path)
        lines += [f"id: {policy.id}", f"title: {policy.title}", f"environment: {policy.stage}"]
        emit(lines, 0, "source", policy.source)
        emit(lines, 0, "destination", policy.destination)
        lines.append("ports:")
        lines += [f"  - {port}" for port in policy.ports]
        lines += [
            "protocol: TCP",
            f"ticket: TAPD-{1020000 + n * 7}",
            f"requested_by: {_PEOPLE[n % len(_PEOPLE)]}",
            f"approver: {_approver(policy, n)}",
            f"approved_on: {approved.isoformat()}",
            f"expires_on: {expires.isoformat()}",
        ]
        if policy.source.get("cidr") == "0.0.0.0/0":
            lines.append(f"reason: {policy.title}：面向互联网用户的入口，只开放443端口")
        out.write(path, "AccessPolicy", lines)


def _approver(policy: Policy, n: int) -> str:
    """A member of the security group for paths open to the internet, anyone else otherwise."""
    if policy.source.get("cidr") == "0.0.0.0/0":
        return SECURITY_GROUP[n % len(SECURITY_GROUP)]
    return _PEOPLE[(n + 5) % len(_PEOPLE)]


_PEER_CATEGORY = {pid: category for pid, _, category, _ in _PEERS}


def _channel(interface: Interface) -> str | None:
    """TIPS for the revenue system, the 电子凭证库 for the treasury and the agent banks, a direct
    connection for the other peers, none between platform systems."""
    parties = (interface.provider, interface.consumer)
    if "pbc-tips" in parties:
        return "tips"
    if any(_PEER_CATEGORY.get(p) in ("pbc", "agent-bank") for p in parties):
        return "evoucher"
    if any(p in _PEER_CATEGORY for p in parties):
        return "direct"
    return None


def write_interfaces(out: Output, for_interface: dict[str, dict[str, str]]) -> None:
    for n, interface in enumerate(_INTERFACES):
        path = f"datahub/interfaces/{interface.id}.yaml"
        lines = header("DatahubInterface", path)
        lines += [
            f"id: {interface.id}",
            f"name: {interface.name}",
            f"provider: {interface.provider}",
            f"consumer: {interface.consumer}",
            f"protocol: {interface.protocol}",
            f"direction: {interface.direction}",
            f"mode: {interface.mode}",
        ]
        channel = _channel(interface)
        if channel is not None:
            lines.append(f"channel: {channel}")
        if interface.mode == "batch":
            lines.append(f'schedule: "30 {1 + n % 5} * * *"')
        if interface.message_types:
            lines.append("message_types:")
            lines += [f'  - "{m}"' for m in interface.message_types]
        lines.append("element_sets:")
        lines += [f"  - {s}" for s in interface.element_sets]
        policies = for_interface[interface.id]
        emit(lines, 0, "access_policies", policies)
        lines += ["environments:", *(f"  - {stage}" for stage in policies)]
        lines.append(f"owner: {_PEOPLE[n % len(_PEOPLE)]}")
        out.write(path, "DatahubInterface", lines)


def write_approvals(out: Output) -> None:
    groups = {
        "standards-team": ("财政业务标准组", ("王芳", "李娜", "陈静")),
        "platform-ops": ("平台运维组", ("张伟", "刘洋", "杨帆")),
        "security": ("网络安全组", SECURITY_GROUP),
        "change-board": ("变更管理委员会", ("周杰", "吴琳", "徐明")),
    }
    pinyin = {
        "王芳": "wangfang",
        "李娜": "lina",
        "陈静": "chenjing",
        "张伟": "zhangwei",
        "刘洋": "liuyang",
        "杨帆": "yangfan",
        "赵磊": "zhaolei",
        "黄敏": "huangmin",
        "周杰": "zhoujie",
        "吴琳": "wulin",
        "徐明": "xuming",
    }
    lines = header("ApprovalPolicy", "approvals.yaml")
    lines.append("groups:")
    for gid, (description, members) in groups.items():
        lines += [f"  {gid}:", f"    description: {description}", "    members:"]
        for person in members:
            lines += [
                f"      - name: {person}",
                f"        email: {pinyin[person]}@czj.xx-gov.example",
            ]
    rules = (
        ("业务标准要素", "standards/elements/**", "standards-team"),
        ("系统配置与控制规则", "standards/system-config/**", "standards-team"),
        ("控制规则", "standards/control-rules/**", "standards-team"),
        ("版本与环境", "environments/**", "platform-ops"),
        ("云资源", "cloud/**", "platform-ops"),
        ("门户与访问策略", "portal/**", "security"),
        ("数据中枢", "datahub/**", "security"),
    )
    lines.append("rules:")
    for name, glob, group in rules:
        lines += [
            f"  - name: {name}",
            "    paths:",
            f"      - {glob}",
            "    require:",
            f"      - group: {group}",
        ]
    lines += ["break_glass:", "  group: change-board", "  count: 2"]
    out.write("approvals.yaml", "ApprovalPolicy", lines)


# -- the whole repository ----------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    files: dict[str, int]
    elements: int
    config_items: int
    overrides: int
    control_rules: int
    bytes: int
    seconds: float

    @property
    def total_files(self) -> int:
        return sum(self.files.values())


def generate(root: Path, cities: int = MAX_CITIES, seed: int = 1) -> Summary:
    """Write the repository into ``root`` (emptied first) and say what it holds."""
    if not 1 <= cities <= MAX_CITIES:
        raise ValueError(f"cities must be 1..{MAX_CITIES}")
    started = time.perf_counter()
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = random.Random(seed)
    out = Output(root)
    city_list = build_cities(cities, rng)
    elements = write_elements(out, city_list, rng)
    items = config_items(rng)
    config_total = write_config_items(out, items)
    rules = write_control_rules(out, rng)
    write_releases(out)
    clusters, namespaces = plan_namespaces(city_list)
    write_clusters(out, clusters, namespaces)
    write_namespaces(out, namespaces, rng)
    write_tdsql(out, city_list)
    overrides = write_environments(out, city_list, clusters, items, rng)
    write_portal_systems(out, city_list)
    write_peers(out)
    policies, for_interface = plan_policies(city_list)
    write_policies(out, policies, rng)
    write_interfaces(out, for_interface)
    write_approvals(out)
    _write_schemas(root / "schemas")
    return Summary(
        dict(sorted(out.files.items())),
        elements,
        config_total,
        overrides,
        rules,
        out.bytes,
        time.perf_counter() - started,
    )


def _write_schemas(folder: Path) -> None:
    """The repository's schemas/, as `dfctl schemas` writes them (data files point at them)."""

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in render_schemas().items():
        (folder / name).write_text(text, encoding="utf-8")


def iter_summary(summary: Summary) -> Iterator[str]:
    yield f"files: {summary.total_files} ({summary.bytes / 1e6:.1f} MB of YAML)"
    for kind, count in summary.files.items():
        yield f"  {kind:18} {count:6}"
    yield f"elements: {summary.elements:,}"
    yield f"configuration items: {summary.config_items:,} (overrides: {summary.overrides:,})"
    yield f"control rules: {summary.control_rules:,}"
    yield f"written in {summary.seconds:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="folder to write (emptied first)")
    parser.add_argument(
        "--cities", type=int, default=MAX_CITIES, help=f"1..{MAX_CITIES} (default {MAX_CITIES})"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not 1 <= args.cities <= MAX_CITIES:
        parser.error(f"--cities must be 1..{MAX_CITIES}")
    summary = generate(args.out, args.cities, args.seed)
    for line in iter_summary(summary):
        sys.stdout.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
