"""A deterministic sample store for ``make demo`` and tests: a few hundred everyday items of a
Chinese convenience store, with real-looking 69x EAN-13 barcodes (check digits computed), goods
sold by weight with scale PLU codes, two VAT classes and two staff members.

Everything is built on call from the tables below; nothing is random, so the same SKU always has
the same barcode and price.
"""

from __future__ import annotations

from typing import Any

from terminal.core.barcodes import with_check_digit
from terminal.core.records import Item, TaxClass

STANDARD = "standard"
AGRI = "agri"

TAX_CLASSES = (
    TaxClass(STANDARD, 1300, True, "VAT 13%"),
    TaxClass(AGRI, 900, True, "VAT 9% (agricultural produce)"),
)

# (category, GS1 company prefix: 3-digit 69x country prefix + 4 digits, tax class)
_MAKERS = {
    "drinks": ("6901285", STANDARD),
    "snacks": ("6920152", STANDARD),
    "dairy": ("6907992", AGRI),
    "bakery": ("6934567", STANDARD),
    "household": ("6903148", STANDARD),
    "grocery": ("6921168", AGRI),
}

# (english, chinese, base price in fen) x variants (english, chinese, price delta in fen)
_LINES: dict[str, list[tuple[str, str, int, list[tuple[str, str, int]]]]] = {
    "drinks": [
        (
            "Cola",
            "可乐",
            300,
            [
                ("330ml can", "330毫升罐装", 0),
                ("500ml", "500毫升", 50),
                ("1.25L", "1.25升", 250),
                ("2L", "2升", 450),
                ("Zero 330ml", "零度330毫升", 0),
            ],
        ),
        (
            "Lemon soda",
            "柠檬汽水",
            300,
            [("330ml", "330毫升", 0), ("500ml", "500毫升", 50), ("2L", "2升", 400)],
        ),
        (
            "Green tea",
            "绿茶",
            350,
            [("500ml", "500毫升", 0), ("Honey 500ml", "蜂蜜500毫升", 50), ("1L", "1升", 250)],
        ),
        ("Jasmine tea", "茉莉花茶", 350, [("500ml", "500毫升", 0), ("1L", "1升", 250)]),
        (
            "Iced black tea",
            "冰红茶",
            300,
            [("500ml", "500毫升", 0), ("1L", "1升", 200), ("Lemon 500ml", "柠檬味500毫升", 0)],
        ),
        (
            "Mineral water",
            "矿泉水",
            200,
            [
                ("550ml", "550毫升", 0),
                ("1.5L", "1.5升", 150),
                ("4L", "4升", 600),
                ("380ml", "380毫升", -50),
            ],
        ),
        ("Orange juice", "橙汁", 550, [("450ml", "450毫升", 0), ("1L", "1升", 650)]),
        ("Apple juice", "苹果汁", 550, [("450ml", "450毫升", 0), ("1L", "1升", 650)]),
        ("Coconut milk drink", "椰汁", 450, [("245ml", "245毫升", 0), ("1.25L", "1.25升", 1100)]),
        ("Herbal tea", "凉茶", 400, [("310ml can", "310毫升罐装", 0), ("500ml", "500毫升", 100)]),
        (
            "Iced coffee",
            "冰咖啡",
            650,
            [
                ("Latte 280ml", "拿铁280毫升", 0),
                ("Black 280ml", "黑咖啡280毫升", 0),
                ("Mocha 280ml", "摩卡280毫升", 50),
            ],
        ),
        (
            "Sports drink",
            "运动饮料",
            500,
            [("Lemon 600ml", "柠檬味600毫升", 0), ("Orange 600ml", "橙味600毫升", 0)],
        ),
        ("Energy drink", "能量饮料", 600, [("250ml can", "250毫升罐装", 0)]),
        (
            "Beer",
            "啤酒",
            450,
            [
                ("330ml can", "330毫升罐装", 0),
                ("500ml can", "500毫升罐装", 200),
                ("600ml bottle", "600毫升瓶装", 250),
                ("Wheat 500ml", "小麦500毫升", 450),
            ],
        ),
        ("Plum juice", "酸梅汤", 400, [("500ml", "500毫升", 0)]),
    ],
    "snacks": [
        (
            "Potato chips",
            "薯片",
            650,
            [
                ("Original 70g", "原味70克", 0),
                ("Tomato 70g", "番茄味70克", 0),
                ("Cucumber 70g", "黄瓜味70克", 0),
                ("BBQ 70g", "烧烤味70克", 0),
                ("Seaweed 70g", "海苔味70克", 0),
                ("Original 135g", "原味135克", 550),
            ],
        ),
        (
            "Instant noodles",
            "方便面",
            450,
            [
                ("Braised beef", "红烧牛肉面", 0),
                ("Pickled cabbage beef", "老坛酸菜牛肉面", 0),
                ("Spicy beef", "香辣牛肉面", 0),
                ("Seafood", "海鲜面", 50),
                ("Mushroom chicken", "香菇炖鸡面", 0),
                ("Braised beef 5-pack", "红烧牛肉面五连包", 1250),
            ],
        ),
        (
            "Cream crackers",
            "苏打饼干",
            590,
            [("Original 400g", "原味400克", 0), ("Scallion 400g", "香葱味400克", 0)],
        ),
        (
            "Sandwich biscuits",
            "夹心饼干",
            650,
            [
                ("Chocolate", "巧克力味", 0),
                ("Vanilla", "香草味", 0),
                ("Strawberry", "草莓味", 0),
                ("Peanut", "花生味", 0),
            ],
        ),
        (
            "Milk chocolate",
            "牛奶巧克力",
            890,
            [
                ("43g bar", "43克", 0),
                ("Hazelnut 43g", "榛子43克", 100),
                ("Gift box 252g", "礼盒252克", 4100),
            ],
        ),
        (
            "Sunflower seeds",
            "瓜子",
            790,
            [
                ("Original 260g", "原味260克", 0),
                ("Caramel 260g", "焦糖味260克", 100),
                ("Walnut 260g", "山核桃味260克", 200),
            ],
        ),
        (
            "Roasted peanuts",
            "花生",
            690,
            [("Salted 350g", "盐焗350克", 0), ("Garlic 350g", "蒜香350克", 0)],
        ),
        (
            "Beef jerky",
            "牛肉干",
            2590,
            [
                ("Original 100g", "原味100克", 0),
                ("Spicy 100g", "麻辣100克", 0),
                ("Curry 100g", "咖喱100克", 0),
            ],
        ),
        (
            "Spicy gluten strips",
            "辣条",
            250,
            [("Classic 100g", "经典100克", 0), ("Big 300g", "大包300克", 500)],
        ),
        (
            "Seaweed snack",
            "海苔",
            1290,
            [("Original 40g", "原味40克", 0), ("Sesame 40g", "芝麻40克", 0)],
        ),
        (
            "Rice crackers",
            "米饼",
            890,
            [("Snow 520g", "雪饼520克", 1000), ("Senbei 150g", "仙贝150克", 0)],
        ),
        (
            "Hard candy",
            "硬糖",
            650,
            [("Fruit 150g", "水果味150克", 0), ("Mint 150g", "薄荷味150克", 0)],
        ),
        (
            "Chewing gum",
            "口香糖",
            1190,
            [
                ("Mint bottle", "薄荷瓶装", 0),
                ("Watermelon bottle", "西瓜瓶装", 0),
                ("Mint 5-stick", "薄荷5片装", -940),
            ],
        ),
        ("Dried mango", "芒果干", 1590, [("108g", "108克", 0)]),
        ("Spicy duck neck", "鸭脖", 1990, [("Vacuum 200g", "真空200克", 0)]),
        ("Pork floss cake", "肉松饼", 1290, [("6 pieces", "6枚装", 0)]),
    ],
    "dairy": [
        (
            "Pure milk",
            "纯牛奶",
            350,
            [
                ("250ml", "250毫升", 0),
                ("1L", "1升", 1000),
                ("12 x 250ml box", "250毫升x12盒", 5550),
            ],
        ),
        ("Low-fat milk", "低脂牛奶", 400, [("250ml", "250毫升", 0), ("1L", "1升", 1050)]),
        (
            "Yogurt",
            "酸奶",
            650,
            [
                ("Plain 200g", "原味200克", 0),
                ("Strawberry 200g", "草莓味200克", 0),
                ("Blueberry 200g", "蓝莓味200克", 0),
                ("Greek 135g", "希腊式135克", 300),
                ("Drinking 100g x4", "风味发酵乳100克x4", 340),
            ],
        ),
        (
            "Soy milk",
            "豆奶",
            450,
            [("250ml", "250毫升", 0), ("Black bean 250ml", "黑豆250毫升", 50)],
        ),
        ("Cheese slices", "芝士片", 1990, [("10 slices", "10片装", 0)]),
        ("Butter", "黄油", 2290, [("227g", "227克", 0)]),
        ("Eggs", "鸡蛋", 1590, [("10 pack", "10枚装", 0), ("30 pack", "30枚装", 2590)]),
    ],
    "bakery": [
        (
            "Sliced bread",
            "切片面包",
            1090,
            [("White 400g", "白吐司400克", 0), ("Whole wheat 400g", "全麦400克", 200)],
        ),
        ("Milk buns", "牛奶面包", 690, [("4 pack", "4个装", 0)]),
        ("Red bean buns", "红豆面包", 590, [("2 pack", "2个装", 0)]),
        ("Egg tarts", "蛋挞", 1290, [("4 pack", "4个装", 0)]),
        ("Swiss roll", "瑞士卷", 990, [("Chocolate", "巧克力", 0), ("Matcha", "抹茶", 0)]),
        (
            "Mooncake",
            "月饼",
            890,
            [("Lotus seed", "莲蓉", 0), ("Five nuts", "五仁", 0), ("Egg yolk", "蛋黄", 300)],
        ),
        ("Croissant", "牛角包", 590, [("Butter", "黄油", 0)]),
    ],
    "household": [
        ("Facial tissues", "抽纸", 1290, [("3 pack", "3包装", 0), ("6 pack", "6包装", 1190)]),
        (
            "Toilet paper",
            "卷纸",
            2990,
            [("10 rolls", "10卷", 0), ("Pocket 10 pack", "手帕纸10包", -2000)],
        ),
        (
            "Laundry detergent",
            "洗衣液",
            3990,
            [("2kg", "2公斤", 0), ("Lavender 2kg", "薰衣草2公斤", 300)],
        ),
        ("Dish soap", "洗洁精", 990, [("1.29kg", "1.29公斤", 0)]),
        ("Hand soap", "洗手液", 1590, [("500ml", "500毫升", 0)]),
        (
            "Shampoo",
            "洗发水",
            3990,
            [("Anti-dandruff 400ml", "去屑400毫升", 0), ("Silky 400ml", "柔顺400毫升", 0)],
        ),
        (
            "Toothpaste",
            "牙膏",
            1290,
            [("Mint 120g", "薄荷120克", 0), ("Whitening 120g", "美白120克", 300)],
        ),
        ("Toothbrush", "牙刷", 890, [("Soft", "软毛", 0), ("Twin pack", "双支装", 700)]),
        ("AA batteries", "5号电池", 1590, [("4 pack", "4节装", 0)]),
        ("AAA batteries", "7号电池", 1590, [("4 pack", "4节装", 0)]),
        (
            "Trash bags",
            "垃圾袋",
            990,
            [("Medium 100", "中号100只", 0), ("Large 50", "大号50只", 200)],
        ),
        ("Wet wipes", "湿巾", 590, [("80 sheets", "80片", 0)]),
        ("Umbrella", "雨伞", 2990, [("Folding", "折叠", 0)]),
        ("Lighter", "打火机", 200, [("Disposable", "一次性", 0)]),
        ("Shopping bag", "购物袋", 30, [("Large", "大号", 0), ("Small", "小号", -10)]),
    ],
    "grocery": [
        (
            "Rice",
            "大米",
            3290,
            [("Northeast 5kg", "东北大米5公斤", 0), ("Jasmine 5kg", "泰香米5公斤", 1000)],
        ),
        (
            "Noodles",
            "挂面",
            590,
            [("Wheat 1kg", "小麦1公斤", 0), ("Buckwheat 1kg", "荞麦1公斤", 300)],
        ),
        (
            "Soy sauce",
            "酱油",
            990,
            [("Light 500ml", "生抽500毫升", 0), ("Dark 500ml", "老抽500毫升", 100)],
        ),
        ("Vinegar", "醋", 690, [("Aged 500ml", "陈醋500毫升", 0)]),
        (
            "Cooking oil",
            "食用油",
            6990,
            [("Peanut 5L", "花生油5升", 0), ("Soybean 5L", "大豆油5升", -2500)],
        ),
        ("Salt", "食盐", 300, [("400g", "400克", 0)]),
        ("Sugar", "白糖", 650, [("500g", "500克", 0)]),
        (
            "Chili sauce",
            "辣椒酱",
            990,
            [("Black bean 280g", "豆豉280克", 0), ("Oil chili 210g", "油辣椒210克", 100)],
        ),
        (
            "Frozen dumplings",
            "速冻水饺",
            1890,
            [("Pork cabbage 1kg", "猪肉白菜1公斤", 0), ("Shrimp 500g", "虾仁500克", 500)],
        ),
        ("Sausage", "火腿肠", 890, [("10 pack", "10支装", 0)]),
        ("Canned fish", "罐头鱼", 1290, [("Fried dace 227g", "豆豉鲮鱼227克", 0)]),
        ("Tofu", "豆腐", 350, [("Firm 400g", "老豆腐400克", 0), ("Silken 400g", "嫩豆腐400克", 0)]),
    ],
}

# Sold by weight: (PLU, english, chinese, price per kg in fen)
_PRODUCE = [
    ("10001", "Bananas", "香蕉", 798),
    ("10002", "Fuji apples", "富士苹果", 1198),
    ("10003", "Oranges", "橙子", 998),
    ("10004", "Pears", "梨", 898),
    ("10005", "Grapes", "葡萄", 1598),
    ("10006", "Watermelon", "西瓜", 398),
    ("10007", "Mandarins", "砂糖橘", 898),
    ("10008", "Kiwi fruit", "猕猴桃", 1598),
    ("10009", "Strawberries", "草莓", 3998),
    ("10010", "Dragon fruit", "火龙果", 1298),
    ("10011", "Mangoes", "芒果", 1398),
    ("10012", "Lychee", "荔枝", 2598),
    ("10101", "Tomatoes", "西红柿", 698),
    ("10102", "Cucumbers", "黄瓜", 598),
    ("10103", "Potatoes", "土豆", 398),
    ("10104", "Chinese cabbage", "大白菜", 298),
    ("10105", "Carrots", "胡萝卜", 398),
    ("10106", "Onions", "洋葱", 398),
    ("10107", "Garlic", "大蒜", 1198),
    ("10108", "Ginger", "生姜", 1398),
    ("10109", "Spinach", "菠菜", 798),
    ("10110", "Eggplant", "茄子", 698),
    ("10111", "Green peppers", "青椒", 798),
    ("10112", "Shiitake mushrooms", "香菇", 1998),
    ("10113", "Bok choy", "小白菜", 598),
    ("10114", "Broccoli", "西兰花", 998),
    ("10115", "Lotus root", "莲藕", 998),
    ("10116", "Sweet potatoes", "红薯", 498),
    ("10117", "Corn", "玉米", 598),
    ("10118", "Scallions", "小葱", 998),
    ("10201", "Pork belly", "五花肉", 3598),
    ("10202", "Pork ribs", "排骨", 4598),
    ("10203", "Chicken wings", "鸡翅", 3298),
    ("10204", "Beef brisket", "牛腩", 7998),
    ("10301", "Loose candy", "散装糖果", 3998),
    ("10302", "Loose nuts", "散装坚果", 6998),
]

# Categories whose items also come as a multipack: (count, english, chinese).
_PACKS = {
    "drinks": (6, "x6", "6瓶装"),
    "snacks": (3, "x3", "3包装"),
}

OPEN_PRICE = [
    ("MISC", "Miscellaneous", "杂项商品", STANDARD, "grocery"),
    ("DELI", "Deli counter", "熟食", AGRI, "grocery"),
    ("BAKE", "Bakery counter", "散装糕点", STANDARD, "bakery"),
]

QUICK_KEYS_PLU = ["10001", "10002", "10101", "10103", "10201"]


def _packaged_items() -> list[Item]:
    """Every variant of every packaged line, each followed by its multipack if the category
    sells one."""
    items: list[Item] = []
    for category, lines in _LINES.items():
        company, tax = _MAKERS[category]
        n = 0
        for name, name_zh, base, variants in lines:
            for v_name, v_zh, delta in variants:
                n += 1
                ref = f"{n:05d}"
                ean = with_check_digit(company + ref)
                sku = f"{category[:2].upper()}{n:03d}"
                items.append(
                    Item(
                        sku=sku,
                        name=f"{name} {v_name}",
                        name_zh=f"{name_zh} {v_zh}",
                        price=base + delta,
                        barcodes=(ean,),
                        tax_class=tax,
                        stock_milli=(20 + (n * 7) % 80) * 1000,
                        category=category,
                    )
                )
                pack = _PACKS.get(category)
                if pack:
                    count, label, label_zh = pack
                    # A multipack has its own GTIN and a small bundle discount built in.
                    price = (base + delta) * count * 95 // 100 // 10 * 10
                    items.append(
                        Item(
                            sku=f"{sku}X{count}",
                            name=f"{name} {v_name} {label}",
                            name_zh=f"{name_zh} {v_zh} {label_zh}",
                            price=price,
                            barcodes=(with_check_digit(company + f"{50000 + n:05d}"),),
                            tax_class=tax,
                            stock_milli=(5 + (n * 3) % 20) * 1000,
                            category=category,
                        )
                    )
    return items


def _weighed_items() -> list[Item]:
    """Produce, meat and bulk goods sold by the kilogram under their PLU."""
    return [
        Item(
            sku=f"P{plu}",
            name=name,
            name_zh=name_zh,
            price=per_kg,
            barcodes=(plu,),
            tax_class=AGRI if int(plu) < 10300 else STANDARD,
            unit="kg",
            stock_milli=50_000,
            category="produce" if int(plu) < 10200 else ("meat" if int(plu) < 10300 else "bulk"),
        )
        for plu, name, name_zh, per_kg in _PRODUCE
    ]


def _open_price_items() -> list[Item]:
    return [
        Item(
            sku=sku,
            name=name,
            name_zh=name_zh,
            price=0,
            tax_class=tax,
            open_price=True,
            category=category,
        )
        for sku, name, name_zh, tax, category in OPEN_PRICE
    ]


QUICK_KEY_NAMES = (
    "Cola 330ml can",
    "Mineral water 550ml",
    "Green tea 500ml",
    "Instant noodles Braised beef",
    "Pure milk 250ml",
    "Shopping bag Large",
)
"""Packaged items on the quick keys, before the produce PLUs and the open-price key."""


def sample_catalog() -> tuple[list[Item], list[TaxClass], list[str]]:
    """``(items, tax classes, quick-key SKUs)`` of the sample store."""
    items = _packaged_items() + _weighed_items() + _open_price_items()
    by_name = {i.name: i.sku for i in items}
    quick = [
        *[by_name[name] for name in QUICK_KEY_NAMES],
        *[f"P{plu}" for plu in QUICK_KEYS_PLU],
        "MISC",
    ]
    return items, list(TAX_CLASSES), quick


def sample_staff() -> list[dict[str, Any]]:
    """Two staff specs for the staff service to load. Their initial PINs must be changed at
    first login, like any PIN the owner issues."""
    return [
        {
            "staff_id": "1001",
            "id": "1001",
            "name": "Li Na",
            "name_zh": "李娜",
            "role": "manager",
            "pin": "4826",
        },
        {
            "staff_id": "1002",
            "id": "1002",
            "name": "Wang Wei",
            "name_zh": "王伟",
            "role": "cashier",
            "pin": "7391",
        },
    ]
