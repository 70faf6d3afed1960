#!/usr/bin/env python3
"""Regenerate seeds/ocop_products.csv, the OCOP catalogue of Quảng Ninh used as seed data.

    .venv/bin/python seeds/generate_catalogue.py            # writes seeds/ocop_products.csv
    .venv/bin/python seeds/generate_catalogue.py -o x.csv   # elsewhere

The catalogue matches the province's published totals (432 certified products: 5 five-star,
107 four-star, 320 three-star, from 186 producers). Where the public record names a product
and its producer (REAL below, each with its source, listed in seeds/SOURCES.md), the row is
that product; every other row is sample data (`source` = "sample"), shown as such by the
app, with contact details that cannot belong to anyone (no tax code or phone, an
example.com address). The output depends only on SEED and REFERENCE_DATE: running the
script twice gives byte-identical files.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from marketplace.timeutil import add_months  # noqa: E402  (the app's own rules, so slugs match)
from marketplace.validators import slugify  # noqa: E402

SEED = 20251123
REFERENCE_DATE = date(2026, 11, 23)  # "today" for the expiry mix below
VALIDITY_MONTHS = 36

TOTAL_PRODUCTS = 432
STAR_COUNTS = {5: 5, 4: 107, 3: 320}
TOTAL_PRODUCERS = 186
EXPIRED = 6  # certificates already past expires_on on REFERENCE_DATE
EXPIRING_SOON = 18  # expiring within 60 days of REFERENCE_DATE
UNVERIFIED = 9  # claims still waiting for the province to check them

COLUMNS = [
    "product_slug", "product_name", "category", "description", "unit", "price_vnd", "stock",
    "stars", "certificate_no", "certificate_level", "issued_on", "expires_on", "verified",
    "producer_slug", "producer_name", "producer_kind", "producer_tax_code", "producer_locality",
    "producer_address", "producer_phone", "producer_email", "producer_description", "source",
]
SAMPLE = "sample"

# The public record (seeds/SOURCES.md). Product, producer, stars and former district come from
# the source; the commune/ward is where the seed places the producer inside that district when
# the source gives none, and prices, stock and units are illustrative.
NATIONAL_5 = "https://thuonghieuquangninh.gov.vn/?p=3978"
FOUR_STAR_2023 = ("https://doanhnghiephoinhap.vn/quang-ninh-39-san-pham-dat-tieu-chuan-4-sao-va-1-san-pham-"
                  "tiem-nang-5-sao-ocop.html")
FOUR_STAR_2023_BQN = "https://nongthon.vietnamtourism.gov.vn/40-san-pham-dat-4-sao-ocop-quang-ninh-nam-2023/"
# (producer name, kind, locality slug, former district, [(product, category, unit, price, stars, source)])
REAL = [
    ("Công ty CP Ngọc trai Hạ Long", "enterprise", "ha-long", "Hạ Long", [
        ("Ngọc trai Akoya", "my-nghe-luu-niem", "hộp 1 viên", 2_500_000, 5, NATIONAL_5),
        ("Ngọc trai Tahiti", "my-nghe-luu-niem", "hộp 1 viên", 4_500_000, 5, NATIONAL_5),
        ("Ngọc trai South Sea", "my-nghe-luu-niem", "hộp 1 viên", 5_500_000, 5, NATIONAL_5),
    ]),
    ("Công ty TNHH Thương mại dịch vụ và Xuất nhập khẩu Quy Hoa", "enterprise", "quang-ha", "Hải Hà", [
        ("Trà hoa vàng Quy Hoa", "che-tra", "hộp 100 g", 900_000, 5, NATIONAL_5),
    ]),
    ("Công ty CP Kinh doanh lâm sản Đạp Thanh", "enterprise", "ba-che", "Ba Chẽ", [
        ("Trà hoa vàng Ba Chẽ", "che-tra", "hộp 100 g", 750_000, 4, FOUR_STAR_2023_BQN),
    ]),
    ("HTX kinh doanh dịch vụ lâm sản ngoài gỗ Ba Chẽ", "cooperative", "ba-che", "Ba Chẽ", [
        ("Rượu nấm lim xanh Ba Chẽ", "ruou", "chai 500 ml", 350_000, 4, FOUR_STAR_2023),
        ("Rượu ba kích Ba Chẽ", "ruou", "chai 500 ml", 280_000, 4, FOUR_STAR_2023),
    ]),
    ("Công ty CP Nước khoáng Quang Hanh", "enterprise", "quang-hanh", "Cẩm Phả", [
        ("Nước khoáng thiên nhiên Quang Hanh (bổ sung ga chất lượng cao)", "do-uong-khac", "thùng 24 chai 500 ml",
         150_000, 4, FOUR_STAR_2023),
        ("Nước khoáng thiên nhiên Quang Hanh Fresh", "do-uong-khac", "thùng 24 chai 500 ml", 130_000, 4,
         FOUR_STAR_2023),
        ("Nước khoáng Quang Hanh Fresh vị chanh muối", "do-uong-khac", "thùng 24 chai 500 ml", 160_000, 4,
         FOUR_STAR_2023),
    ]),
    ("HTX chăn nuôi và dịch vụ Đồng Tiến", "cooperative", "tien-yen", "Tiên Yên", [
        ("Trứng vịt biển Đồng Rui", "nong-san", "hộp 10 quả", 60_000, 4, FOUR_STAR_2023),
    ]),
]
# The 4★ certificates of 2023 were handed over at the OCOP fair on 2 February 2024 (FOUR_STAR_2023_BQN).
FOUR_STAR_2023_HANDED_OVER = date(2024, 2, 2)
# The national 5★ ratings (2021, 2022) are counted in the province's 2025 total; their renewed
# certificates' dates are not published: the seed dates them inside the current 36 months.
NATIONAL_RENEWAL = date(2024, 12, 1)

# Producers per former district/city (sums to TOTAL_PRODUCERS).
# Sample producers per former district/city (with REAL's, sums to TOTAL_PRODUCERS).
REGION_PRODUCERS = {
    "Hạ Long": 23, "Cẩm Phả": 11, "Uông Bí": 14, "Móng Cái": 14, "Đông Triều": 18, "Quảng Yên": 14,
    "Vân Đồn": 16, "Cô Tô": 6, "Ba Chẽ": 14, "Bình Liêu": 12, "Tiên Yên": 13, "Đầm Hà": 11, "Hải Hà": 14,
}
KIND_WEIGHTS = {"enterprise": 27, "cooperative": 43, "cooperative_group": 10, "household": 20}
FOUR_STAR_WEIGHT = {"enterprise": 2.2, "cooperative": 1.6, "cooperative_group": 1.0, "household": 0.7}

ALL = "*"
# (name, category, regions, unit, min price, max price, description). "{place}" in a name or
# description is replaced by the producer's region.
TEMPLATES = [
    # 1 Food: fresh and minimally processed produce
    ("Gà Tiên Yên", "nong-san", ["Tiên Yên"], "kg", 180_000, 250_000,
     "Gà Tiên Yên chân vàng, da giòn, thịt chắc, chăn thả tự nhiên dưới tán rừng và ăn thóc, ngô."),
    ("Gà đồi {place}", "nong-san", ["Ba Chẽ", "Đầm Hà", "Hải Hà", "Bình Liêu"], "kg", 160_000, 220_000,
     "Gà đồi nuôi thả vườn trên 5 tháng, thịt săn chắc, ngọt đậm; giao gà làm sạch, đóng túi hút chân không."),
    ("Khoai sọ {place}", "nong-san", ["Tiên Yên", "Đầm Hà", "Hải Hà", "Bình Liêu"], "túi 2 kg", 60_000, 95_000,
     "Khoai sọ trồng trên đất đồi {place}, củ đều, bở dẻo, thơm đặc trưng; thu hoạch vụ đông."),
    ("Na dai Đông Triều", "nong-san", ["Đông Triều"], "hộp 2 kg", 80_000, 140_000,
     "Na dai trồng trên sườn núi đá vôi Đông Triều, múi dày, ít hạt, vị ngọt thanh."),
    ("Gạo nếp cái hoa vàng {place}", "nong-san", ["Đông Triều", "Quảng Yên"], "túi 2 kg", 70_000, 110_000,
     "Gạo nếp cái hoa vàng hạt tròn, dẻo thơm, dùng đồ xôi, gói bánh chưng và nấu rượu."),
    ("Mật ong rừng {place}", "nong-san", ["Ba Chẽ", "Bình Liêu", "Tiên Yên", "Hải Hà", "Đầm Hà", "Uông Bí"],
     "chai 500 ml", 250_000, 450_000,
     "Mật ong khai thác từ đàn ong nuôi dưới tán rừng tự nhiên {place}, sánh đặc, thơm hương hoa rừng."),
    ("Măng khô {place}", "nong-san", ["Ba Chẽ", "Bình Liêu", "Uông Bí", "Tiên Yên", "Đầm Hà"],
     "túi 500 g", 120_000, 220_000,
     "Măng rừng luộc chín, phơi nắng tự nhiên, không chất bảo quản; ngâm nước vo gạo trước khi nấu."),
    ("Trứng gà đồi {place}", "nong-san", ALL, "hộp 10 quả", 40_000, 65_000,
     "Trứng gà thả đồi, lòng đỏ đậm, thu nhặt trong ngày."),
    ("Vải chín sớm {place}", "nong-san", ["Uông Bí", "Đông Triều"], "hộp 2 kg", 70_000, 120_000,
     "Vải chín sớm quả to, cùi dày, vị ngọt mát, thu hoạch đầu mùa."),
    ("Thịt lợn Móng Cái", "nong-san", ["Móng Cái"], "kg", 150_000, 190_000,
     "Thịt lợn giống Móng Cái bản địa, nạc mỡ xen kẽ, thơm ngọt; giết mổ tại cơ sở đạt chuẩn."),
    # 1 Food: processed
    ("Chả mực {place}", "thuc-pham-che-bien", ["Hạ Long", "Cẩm Phả", "Vân Đồn", "Cô Tô"], "hộp 500 g",
     190_000, 270_000,
     "Chả mực giã tay từ mực ống tươi đánh bắt trong ngày, dai giòn, ngọt tự nhiên; bảo quản ngăn đá."),
    ("Chả cá {place}", "thuc-pham-che-bien", ["Hạ Long", "Quảng Yên", "Cẩm Phả", "Móng Cái"], "hộp 500 g",
     120_000, 180_000,
     "Chả cá thu, cá mối tươi xay nhuyễn, rán vàng; không hàn the, không chất bảo quản."),
    ("Miến dong Bình Liêu", "thuc-pham-che-bien", ["Bình Liêu"], "túi 500 g", 55_000, 85_000,
     "Miến làm từ tinh bột củ dong riềng Bình Liêu, sợi dai, trong, không bở khi nấu."),
    ("Dầu sở Bình Liêu", "thuc-pham-che-bien", ["Bình Liêu"], "chai 500 ml", 120_000, 180_000,
     "Dầu ép nguội từ hạt sở rừng Bình Liêu, màu vàng trong, thơm nhẹ, dùng chiên xào và trộn gỏi."),
    ("Bánh gio {place}", "thuc-pham-che-bien", ["Quảng Yên", "Tiên Yên", "Đông Triều"], "túi 10 chiếc",
     50_000, 80_000,
     "Bánh gio gói lá dong, nước tro tự lọc, ăn kèm mật mía; bảo quản ngăn mát 5 ngày."),
    ("Bánh gật gù Trà Cổ", "thuc-pham-che-bien", ["Móng Cái"], "túi 500 g", 40_000, 70_000,
     "Bánh gật gù tráng tay từ gạo tẻ thơm, ăn cùng nước chấm chua ngọt; đặc sản vùng biên Móng Cái."),
    ("Ô mai mơ Yên Tử", "thuc-pham-che-bien", ["Uông Bí"], "hộp 300 g", 70_000, 110_000,
     "Ô mai làm từ mơ lông Yên Tử, chua ngọt hài hòa, không phẩm màu."),
    ("Măng ngâm ớt {place}", "thuc-pham-che-bien", ["Ba Chẽ", "Tiên Yên", "Bình Liêu"], "hũ 500 g",
     50_000, 80_000,
     "Măng tươi thái lát ngâm ớt, tỏi theo cách của đồng bào Dao, giòn cay."),
    ("Ruốc tôm {place}", "thuc-pham-che-bien", ["Hạ Long", "Đầm Hà"], "hũ 200 g", 150_000, 220_000,
     "Ruốc làm từ tôm biển tươi sấy khô, xé tơi, thơm ngọt; ăn với cơm, cháo."),
    # 1 Food: seafood products
    ("Sá sùng khô {place}", "thuy-hai-san", ["Vân Đồn", "Móng Cái", "Cẩm Phả", "Hải Hà"], "hộp 100 g",
     450_000, 650_000,
     "Sá sùng đào trên bãi cát {place}, làm sạch, sấy than hoa; dùng nấu nước dùng phở, xào, nướng."),
    ("Hàu sữa {place}", "thuy-hai-san", ["Vân Đồn", "Quảng Yên", "Tiên Yên"], "túi 1 kg", 70_000, 120_000,
     "Hàu sữa nuôi trên vùng triều sạch, thịt béo, tách vỏ, đóng túi giữ lạnh."),
    ("Hàu sấy {place}", "thuy-hai-san", ["Vân Đồn", "Quảng Yên"], "hộp 200 g", 180_000, 250_000,
     "Hàu tươi sấy lạnh giữ vị ngọt; ăn liền hoặc nấu cháo, xào."),
    ("Mực khô {place}", "thuy-hai-san", ["Cô Tô", "Vân Đồn", "Hạ Long", "Cẩm Phả"], "túi 500 g",
     700_000, 950_000,
     "Mực ống câu đêm, phơi nắng biển, thân dày, ngọt thơm khi nướng."),
    ("Mực một nắng Cô Tô", "thuy-hai-san", ["Cô Tô"], "túi 1 kg", 450_000, 600_000,
     "Mực câu phơi đúng một nắng, thịt mềm, ngọt; giao kèm đá giữ lạnh."),
    ("Tôm khô {place}", "thuy-hai-san", ["Cô Tô", "Vân Đồn", "Hải Hà", "Đầm Hà"], "túi 500 g",
     450_000, 650_000,
     "Tôm biển luộc nước muối, sấy khô, bóc vỏ thủ công; đỏ tự nhiên, không phẩm màu."),
    ("Ngao {place}", "thuy-hai-san", ["Đầm Hà", "Tiên Yên", "Hải Hà"], "túi 2 kg", 60_000, 100_000,
     "Ngao nuôi bãi triều, nhả cát sạch trước khi đóng gói."),
    ("Cá thu một nắng Cô Tô", "thuy-hai-san", ["Cô Tô"], "kg", 300_000, 380_000,
     "Cá thu cắt khoanh, phơi một nắng, chiên hoặc kho đều ngon."),
    ("Hà Đồng Rui", "thuy-hai-san", ["Tiên Yên"], "túi 1 kg", 60_000, 90_000,
     "Hà bám trên rễ đước rừng ngập mặn Đồng Rui, thịt béo ngọt."),
    ("Tu hài Vân Đồn", "thuy-hai-san", ["Vân Đồn"], "túi 1 kg", 250_000, 350_000,
     "Tu hài nuôi vùng biển Vân Đồn, làm sạch, cấp đông nhanh."),
    # 1 Food: condiments and sauces
    ("Nước mắm Cái Rồng", "gia-vi", ["Vân Đồn"], "chai 500 ml", 90_000, 150_000,
     "Nước mắm cá cơm ủ chượp chum sành trên 12 tháng theo nghề truyền thống Cái Rồng, độ đạm cao."),
    ("Nước mắm {place}", "gia-vi", ["Cô Tô", "Móng Cái", "Quảng Yên", "Hạ Long"], "chai 500 ml", 70_000, 120_000,
     "Nước mắm cá cơm ủ chượp tự nhiên, màu cánh gián, hậu vị ngọt."),
    ("Mắm tôm {place}", "gia-vi", ["Hạ Long", "Đầm Hà", "Tiên Yên"], "hũ 500 g", 60_000, 90_000,
     "Mắm tôm moi lên men tự nhiên, mịn, thơm, không hóa chất."),
    ("Hoa hồi khô Bình Liêu", "gia-vi", ["Bình Liêu"], "túi 500 g", 120_000, 180_000,
     "Hoa hồi tám cánh thu hái trên đồi hồi Bình Liêu, phơi khô tự nhiên."),
    ("Quế khô {place}", "gia-vi", ["Ba Chẽ", "Tiên Yên", "Bình Liêu"], "túi 500 g", 60_000, 100_000,
     "Vỏ quế bóc từ cây trên 10 năm tuổi, dày, cay thơm."),
    # 2 Beverages
    ("Trà hoa vàng Ba Chẽ", "che-tra", ["Ba Chẽ"], "hộp 100 g", 450_000, 900_000,
     "Hoa trà vàng rừng Ba Chẽ sấy lạnh, nước pha vàng óng, vị ngọt hậu; pha 3–5 bông với nước 85°C."),
    ("Chè xanh {place}", "che-tra", ["Hải Hà", "Đầm Hà", "Móng Cái", "Bình Liêu"], "túi 500 g", 120_000, 220_000,
     "Chè búp một tôm hai lá, sao tay trên chảo gang, nước xanh, vị chát dịu."),
    ("Chè Đường Hoa", "che-tra", ["Hải Hà"], "hộp 200 g", 150_000, 260_000,
     "Chè trồng trên đồi Đường Hoa, búp nhỏ, cánh xoăn, hương cốm."),
    ("Trà Yên Tử", "che-tra", ["Uông Bí"], "hộp 200 g", 150_000, 250_000,
     "Trà xanh trồng dưới chân núi Yên Tử, sao khô theo cách truyền thống."),
    ("Chè shan tuyết Bình Liêu", "che-tra", ["Bình Liêu"], "hộp 200 g", 200_000, 350_000,
     "Chè shan tuyết cổ thụ trên núi cao Bình Liêu, búp phủ lông tơ trắng."),
    ("Rượu ba kích {place}", "ruou", ["Ba Chẽ", "Quảng Yên", "Hạ Long"], "chai 500 ml", 180_000, 350_000,
     "Rượu ngâm củ ba kích tím Quảng Ninh với rượu nếp, màu tím đỏ, vị ngọt dịu; uống ít, không dùng cho trẻ em."),
    ("Rượu mơ Yên Tử", "ruou", ["Uông Bí"], "chai 500 ml", 150_000, 250_000,
     "Rượu ủ từ mơ lông Yên Tử, vàng óng, thơm, chua ngọt."),
    ("Rượu nếp cái hoa vàng Đông Triều", "ruou", ["Đông Triều"], "chai 500 ml", 90_000, 150_000,
     "Rượu chưng cất từ gạo nếp cái hoa vàng và men truyền thống, êm, thơm."),
    ("Rượu men lá {place}", "ruou", ["Bình Liêu", "Tiên Yên", "Đầm Hà", "Ba Chẽ"], "chai 750 ml", 80_000, 130_000,
     "Rượu nấu bằng men lá rừng theo bí quyết người Dao, uống êm, không đau đầu."),
    ("Siro mơ Yên Tử", "do-uong-khac", ["Uông Bí"], "chai 500 ml", 90_000, 140_000,
     "Mơ lông Yên Tử ngâm đường phèn, pha với nước lạnh và đá."),
    ("Nước ép chanh leo {place}", "do-uong-khac", ["Tiên Yên", "Đầm Hà", "Hải Hà"], "chai 500 ml",
     45_000, 70_000,
     "Nước cốt chanh leo nguyên chất, thanh trùng, không đường hóa học."),
    # 3 Herbal and medicinal products
    ("Ba kích tím khô {place}", "duoc-lieu", ["Ba Chẽ", "Quảng Yên"], "túi 500 g", 350_000, 550_000,
     "Củ ba kích tím trồng trên 3 năm, rút lõi, phơi khô; dùng ngâm rượu hoặc sắc uống."),
    ("Cao ba kích {place}", "duoc-lieu", ["Ba Chẽ", "Quảng Yên"], "hộp 100 g", 500_000, 800_000,
     "Cao đặc chiết từ ba kích tím, đóng hũ thủy tinh; dùng theo hướng dẫn trên nhãn."),
    ("Nấm linh chi {place}", "duoc-lieu", ["Hạ Long", "Uông Bí", "Đông Triều"], "túi 500 g", 350_000, 600_000,
     "Nấm linh chi đỏ trồng trên mùn cưa gỗ, thái lát, sấy khô."),
    ("Tinh bột nghệ {place}", "duoc-lieu", ["Quảng Yên", "Đông Triều", "Đầm Hà"], "hộp 500 g", 200_000, 300_000,
     "Tinh bột nghệ vàng lọc kỹ bỏ nhựa, mịn, dùng pha với mật ong."),
    ("Tinh dầu quế {place}", "tinh-dau", ["Ba Chẽ", "Tiên Yên", "Bình Liêu"], "lọ 100 ml", 120_000, 200_000,
     "Tinh dầu chưng cất hơi nước từ lá và vỏ quế, thơm ấm, dùng xông phòng, đuổi muỗi."),
    ("Tinh dầu hồi Bình Liêu", "tinh-dau", ["Bình Liêu"], "lọ 100 ml", 150_000, 250_000,
     "Tinh dầu hồi chưng cất từ quả hồi Bình Liêu, dùng xoa bóp, xông phòng."),
    ("Tinh dầu sả chanh {place}", "tinh-dau", ALL, "lọ 100 ml", 80_000, 150_000,
     "Tinh dầu sả chanh nguyên chất, khử mùi, đuổi côn trùng."),
    ("Xà phòng thảo dược {place}", "my-pham-thao-duoc", ALL, "bánh 100 g", 40_000, 70_000,
     "Xà phòng nấu thủ công từ dầu thực vật và lá thuốc, dịu nhẹ với da."),
    ("Dầu gội bồ kết {place}", "my-pham-thao-duoc", ALL, "chai 300 ml", 90_000, 150_000,
     "Dầu gội từ bồ kết, vỏ bưởi, hương nhu; sạch gàu, tóc mềm."),
    ("Trà giảo cổ lam {place}", "tra-thao-duoc", ["Ba Chẽ", "Bình Liêu", "Hải Hà"], "hộp 200 g", 120_000, 200_000,
     "Giảo cổ lam năm lá phơi khô, hãm uống hằng ngày."),
    ("Trà túi lọc ba kích {place}", "tra-thao-duoc", ["Ba Chẽ"], "hộp 20 túi", 90_000, 150_000,
     "Trà túi lọc phối ba kích, hoa vàng và cam thảo, tiện pha."),
    # 4 Handicrafts and textiles
    ("Bình gốm men rạn Đông Triều", "gom-su", ["Đông Triều"], "chiếc cao 40 cm", 650_000, 1_500_000,
     "Bình gốm vuốt tay, men rạn nung củi theo nghề gốm Đông Triều trăm năm."),
    ("Bộ ấm chén gốm Đông Triều", "gom-su", ["Đông Triều"], "bộ 1 ấm 6 chén", 450_000, 900_000,
     "Bộ ấm chén gốm men lam, giữ nhiệt tốt, thích hợp pha trà."),
    ("Chậu gốm cảnh Đông Triều", "gom-su", ["Đông Triều"], "chiếc", 200_000, 450_000,
     "Chậu gốm trồng cây cảnh, bonsai, men nâu, thoát nước tốt."),
    ("Tranh than đá {place}", "my-nghe-luu-niem", ["Hạ Long", "Cẩm Phả"], "bức 40 x 60 cm", 600_000, 2_000_000,
     "Tranh ghép và chạm khắc từ than đá Quảng Ninh, đề tài vịnh Hạ Long."),
    ("Trang sức ngọc trai Hạ Long", "my-nghe-luu-niem", ["Hạ Long", "Vân Đồn"], "hộp 1 bộ", 800_000, 3_000_000,
     "Bộ trang sức ngọc trai nuôi trên vịnh, có giấy kiểm định kèm theo."),
    ("Đồ lưu niệm vỏ sò Cô Tô", "my-nghe-luu-niem", ["Cô Tô"], "hộp", 80_000, 150_000,
     "Đồ lưu niệm ghép từ vỏ sò, vỏ ốc nhặt trên bãi biển Cô Tô."),
    ("Giỏ mây tre đan {place}", "may-tre-go", ["Tiên Yên", "Đầm Hà", "Hải Hà", "Đông Triều"], "chiếc",
     120_000, 250_000,
     "Giỏ đan tay từ mây, tre rừng, bền, nhẹ."),
    ("Chổi chít {place}", "may-tre-go", ["Bình Liêu", "Ba Chẽ"], "bó 2 chiếc", 60_000, 90_000,
     "Chổi bông chít bó tay chắc chắn, quét sạch, bền."),
    ("Khăn thổ cẩm Dao Thanh Phán", "vai-may-mac", ["Bình Liêu", "Tiên Yên"], "chiếc", 250_000, 450_000,
     "Khăn thêu tay hoa văn người Dao Thanh Phán, chỉ màu bền."),
    ("Túi thổ cẩm {place}", "vai-may-mac", ["Bình Liêu", "Ba Chẽ", "Đầm Hà"], "chiếc", 150_000, 300_000,
     "Túi may từ vải thổ cẩm dệt tay, lót vải bông."),
    # 5 Ornamental plants and animals
    ("Mai vàng Yên Tử", "cay-canh", ["Uông Bí", "Đông Triều"], "chậu cây 5 năm", 1_500_000, 4_000_000,
     "Mai vàng Yên Tử hoa năm cánh, ghép gốc, dáng thế, giao kèm chậu."),
    ("Cây cảnh bonsai {place}", "cay-canh", ["Hạ Long", "Đông Triều", "Quảng Yên"], "chậu", 800_000, 3_000_000,
     "Cây cảnh bonsai tạo dáng thủ công nhiều năm."),
    ("Lan rừng {place}", "hoa-lan", ["Ba Chẽ", "Uông Bí", "Đông Triều"], "chậu", 250_000, 600_000,
     "Lan rừng nhân giống tại vườn, cây khỏe, ra hoa đúng vụ."),
    ("Đào cảnh {place}", "hoa-lan", ["Đông Triều", "Quảng Yên"], "cây", 500_000, 1_500_000,
     "Đào cảnh chơi Tết, nụ dày, thế đẹp, giao tận nơi."),
    ("Cá chép Koi {place}", "dong-vat-canh", ["Đông Triều", "Quảng Yên", "Hạ Long"], "con 20 cm", 300_000, 800_000,
     "Cá Koi nuôi bể lọc sạch, màu đẹp, khỏe, giao kèm túi oxy."),
    # 6 Community and eco tourism services
    ("Homestay bản Dao {place}", "du-lich-cong-dong", ["Bình Liêu", "Ba Chẽ", "Tiên Yên", "Đầm Hà"],
     "gói 2 ngày 1 đêm/người", 650_000, 1_200_000,
     "Ở nhà sàn, ăn cơm cùng đồng bào Dao, học thêu và làm bánh; gồm ăn, ở, hướng dẫn viên bản địa."),
    ("Du lịch cộng đồng làng chài {place}", "du-lich-cong-dong", ["Cô Tô", "Vân Đồn", "Hạ Long"],
     "gói 1 ngày/người", 350_000, 700_000,
     "Một ngày cùng ngư dân: kéo lưới, chèo đò, ăn hải sản tại làng chài."),
    ("Tour sinh thái rừng Yên Tử", "du-lich-sinh-thai", ["Uông Bí"], "vé/người", 250_000, 450_000,
     "Đi bộ xuyên rừng nguyên sinh Yên Tử cùng người dẫn đường địa phương."),
    ("Tour trải nghiệm đồi chè {place}", "du-lich-sinh-thai", ["Hải Hà", "Đầm Hà"], "vé/người", 150_000, 300_000,
     "Hái chè, sao chè và thưởng trà trên đồi chè {place}."),
    ("Khu sinh thái {place}", "du-lich-sinh-thai", ALL, "vé/người", 100_000, 250_000,
     "Vé vào khu sinh thái: vườn cây, hồ câu, ẩm thực địa phương."),
    ("Điểm du lịch làng gốm Đông Triều", "diem-du-lich", ["Đông Triều"], "vé/người", 80_000, 150_000,
     "Tham quan lò gốm, tự tay vuốt gốm và mang sản phẩm về."),
    ("Điểm du lịch {place}", "diem-du-lich", ["Vân Đồn", "Cô Tô", "Móng Cái", "Bình Liêu"], "vé/người",
     100_000, 250_000,
     "Vé tham quan điểm du lịch được công nhận, có thuyết minh viên."),
]

# 5★ products beyond those of REAL, to reach the published count: (template name, region, kind).
# Sample rows, shown as such: the public record names no other national 5★ of the province.
FIVE_STAR = [
    ("Sá sùng khô {place}", "Vân Đồn", "cooperative"),
]

# Specialities the sample must contain: (template name, region), each leads one producer's list.
SIGNATURE = [
    ("Hàu sữa {place}", "Vân Đồn"), ("Miến dong Bình Liêu", "Bình Liêu"), ("Dầu sở Bình Liêu", "Bình Liêu"),
    ("Ba kích tím khô {place}", "Ba Chẽ"), ("Ba kích tím khô {place}", "Quảng Yên"), ("Gà Tiên Yên", "Tiên Yên"),
    ("Khoai sọ {place}", "Tiên Yên"), ("Bình gốm men rạn Đông Triều", "Đông Triều"),
    ("Bộ ấm chén gốm Đông Triều", "Đông Triều"), ("Tinh dầu quế {place}", "Ba Chẽ"),
    ("Mật ong rừng {place}", "Ba Chẽ"), ("Măng khô {place}", "Bình Liêu"), ("Chè Đường Hoa", "Hải Hà"),
    ("Mai vàng Yên Tử", "Uông Bí"), ("Homestay bản Dao {place}", "Bình Liêu"), ("Mực khô {place}", "Cô Tô"),
]

BRANDS = [
    "Hương Biển", "Thiên Hương", "Hoa Vàng", "Đồng Tâm", "Phúc Lộc", "An Khang", "Tân Tiến", "Hưng Thịnh",
    "Xanh", "Ngọc Biển", "Sơn Lâm", "Minh Phát", "Thành Đạt", "Hải Đăng", "Bình An", "Kim Ngân", "Quang Minh",
    "Đại Dương", "Núi Xanh", "Trường Xuân", "Hồng Phúc", "Việt Tiến", "Thịnh Vượng", "Bảo Châu", "Hoàng Gia",
    "Phương Đông", "Lâm Sinh", "Ánh Dương", "Vạn Lộc", "Tiến Thành", "Cửa Biển", "Mây Ngàn", "Lộc Rừng",
    "Thanh Bình", "Hòa Thuận", "Tân Phong", "Hải Yến", "Nam Sơn", "Đông Hải", "Sao Mai",
]
KIND_LABEL = {"ward": "phường", "commune": "xã", "special_zone": "đặc khu"}


def load_localities() -> dict[str, list[dict]]:
    by_region: dict[str, list[dict]] = {}
    with open(HERE / "localities.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_region.setdefault(row["region"], []).append(row)
    return by_region


def templates_for(region: str) -> tuple[list[tuple], list[tuple]]:
    local = [t for t in TEMPLATES if t[2] != ALL and region in t[2]]
    generic = [t for t in TEMPLATES if t[2] == ALL]
    return local, generic


# The trade a producer's name states, by the category of what it makes: a producer sells only
# products of its own trade (no dried shrimp from an essential-oil company).
TRADE = {"nong-san": "Nông sản", "thuc-pham-che-bien": "Thực phẩm", "thuy-hai-san": "Thủy sản",
         "gia-vi": "Thực phẩm", "che-tra": "Chè", "ruou": "Đồ uống", "do-uong-khac": "Đồ uống",
         "duoc-lieu": "Dược liệu", "tinh-dau": "Tinh dầu", "my-pham-thao-duoc": "Thảo dược",
         "tra-thao-duoc": "Dược liệu", "gom-su": "Gốm", "my-nghe-luu-niem": "Mỹ nghệ",
         "may-tre-go": "Mây tre đan", "vai-may-mac": "Thổ cẩm", "cay-canh": "Sinh vật cảnh",
         "hoa-lan": "Hoa cây cảnh", "dong-vat-canh": "Sinh vật cảnh", "du-lich-cong-dong": "Du lịch cộng đồng",
         "du-lich-sinh-thai": "Du lịch sinh thái", "diem-du-lich": "Dịch vụ du lịch"}


def same_trade(templates: list[tuple], first: tuple) -> list[tuple]:
    return [t for t in templates if TRADE[t[1]] == TRADE[first[1]]]


def producer_name(rng: random.Random, kind: str, region: str, first: tuple, brand: str, used: set[str]) -> str:
    trade = TRADE[first[1]]
    for attempt in range(50):
        if kind == "enterprise":
            form = rng.choice(["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV"])
            name = f"{form} {trade} {brand}" if attempt < 5 else f"{form} {trade} {brand} {region}"
        elif kind == "cooperative":
            name = f"HTX {trade} {brand} {region}" if attempt else f"HTX {trade} {brand}"
        elif kind == "cooperative_group":
            name = f"Tổ hợp tác {trade} {brand} {region}" if attempt else f"Tổ hợp tác {trade} {brand}"
        else:  # a trade name, not a person's: sample rows name no one
            name = f"Hộ kinh doanh {trade} {brand}" if attempt == 0 else f"Hộ kinh doanh {trade} {brand} {region}"
        if slugify(name) not in used:  # names and their slugs are unique
            used.add(slugify(name))
            return name
    raise RuntimeError("could not find a unique producer name")


def real_rows(localities: dict[str, list[dict]]) -> list[dict]:
    """The rows of REAL: the public record, with no contact detail the sources do not give."""
    units = {u["slug"]: u for region in localities.values() for u in region}
    rows, serial = [], 0
    for name, kind, locality, region, products in REAL:
        loc = units[locality]
        assert loc["region"] == region, (name, locality)
        for title, category, unit, price, stars, source in products:
            serial += 1
            issued = NATIONAL_RENEWAL if stars == 5 else FOUR_STAR_2023_HANDED_OVER
            rating = "OCOP 5 sao quốc gia" if stars == 5 else "OCOP 4 sao cấp tỉnh"
            rows.append({
                "product_slug": slugify(title), "product_name": title, "category": category,
                "description": f"{title}: sản phẩm {rating} của {name} ({region}).",
                "unit": unit, "price_vnd": price, "stock": 50, "stars": stars,
                # The sources publish no certificate number: the seed's own reference, said as such.
                "certificate_no": f"CHUA-CONG-BO-SO-{serial:02d}",
                "certificate_level": "national" if stars == 5 else "province",
                "issued_on": issued, "expires_on": add_months(issued, VALIDITY_MONTHS), "verified": "true",
                "producer_slug": slugify(name), "producer_name": name, "producer_kind": kind,
                "producer_tax_code": "", "producer_locality": locality,
                "producer_address": f"{region} (địa bàn cũ), tỉnh Quảng Ninh", "producer_phone": "",
                "producer_email": "", "producer_description": f"{name}, {region}: chủ thể OCOP Quảng Ninh.",
                "source": source,
            })
    return rows


def build(rng: random.Random) -> list[dict]:
    localities = load_localities()
    assert sorted(localities) == sorted(REGION_PRODUCERS), "regions in localities.csv changed"
    assert sum(REGION_PRODUCERS.values()) + len(REAL) == TOTAL_PRODUCERS
    real = real_rows(localities)
    sample_total = TOTAL_PRODUCTS - len(real)

    # Producer slots: (region, kind, first template, is 5-star flagship)
    slots = []
    for name, region, kind in FIVE_STAR:
        template = next(t for t in TEMPLATES if t[0] == name)
        slots.append((region, kind, template, True))
    for name, region in SIGNATURE:
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        slots.append((region, kind, next(t for t in TEMPLATES if t[0] == name), False))
    for region, count in REGION_PRODUCERS.items():
        count -= sum(1 for s in slots if s[0] == region)
        local, generic = templates_for(region)
        for i in range(count):
            kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
            pool = local if rng.random() < 0.85 or not generic else generic
            slots.append((region, kind, rng.choice(pool), False))
    # every producer kind appears at least twice
    for kind in KIND_WEIGHTS:
        if sum(1 for s in slots if s[1] == kind) < 2:
            raise RuntimeError(f"kind {kind} missing, change SEED")

    # Each producer sells 1..6 products of its own trade; the extra ones go to enterprises and
    # cooperatives first.
    def choices_of(slot) -> list[tuple]:
        local, generic = templates_for(slot[0])
        return same_trade(local + generic, slot[2])

    counts = [1] * len(slots)
    extra_weight = {"enterprise": 3.0, "cooperative": 2.2, "cooperative_group": 1.2, "household": 0.8}
    while sum(counts) < sample_total:
        i = rng.choices(range(len(slots)), weights=[extra_weight[s[1]] for s in slots])[0]
        if counts[i] < min(6, len(choices_of(slots[i]))):
            counts[i] += 1

    # Localities: every unit gets producers, round-robin within its former district.
    cursor: Counter = Counter()
    used_names: set[str] = {r["producer_slug"] for r in real}
    used_slugs: set[str] = {r["product_slug"] for r in real}
    brands = BRANDS[:]
    rng.shuffle(brands)
    rows = []
    for index, (slot, n_products) in enumerate(zip(slots, counts)):
        region, kind, first, flagship = slot
        units = localities[region]
        if flagship:
            loc = next((u for u in units if u["name"] == region), units[0])
        else:
            loc = units[cursor[region] % len(units)]
            cursor[region] += 1
        brand = brands[index % len(brands)]
        name = producer_name(rng, kind, region, first, brand, used_names)
        p_slug = slugify(name)
        place = KIND_LABEL[loc["kind"]]
        street = (f"Tổ {rng.randint(1, 12)}, khu {rng.randint(1, 9)}" if loc["kind"] == "ward"
                  else f"Thôn {rng.randint(1, 15)}")
        address = f"{street}, {place} {loc['name']}, tỉnh Quảng Ninh"
        # Sample contact details reach no one: no tax code, no phone, an example.com address.
        email = f"mau{index + 1:03d}@example.com"
        description = (f"Chủ thể mẫu (dữ liệu minh họa) ở {place} {loc['name']} ({region}).")

        pool = choices_of(slot)
        chosen = [first]
        while len(chosen) < n_products:
            t = rng.choice(pool)
            if t not in chosen:
                chosen.append(t)
        for position, template in enumerate(chosen):
            title, category, _regions, unit, low, high, text = template
            step = 5_000 if high >= 100_000 else 1_000
            price = rng.randrange(low // step, high // step + 1) * step
            group = category
            if group.startswith("du-lich") or group == "diem-du-lich":
                stock = rng.randint(20, 80)
            elif group in ("cay-canh", "hoa-lan", "dong-vat-canh", "gom-su", "my-nghe-luu-niem"):
                stock = rng.randint(3, 40)
            else:
                stock = rng.randint(15, 300)
            if rng.random() < 0.04:
                stock = 0
            product_name = f"{title.format(place=region)} {brand}"
            slug = base = slugify(product_name)
            n = 2
            while slug in used_slugs:
                slug = f"{base}-{n}"
                n += 1
            used_slugs.add(slug)
            rows.append({
                "product_slug": slug, "product_name": product_name, "category": category,
                "description": text.format(place=region) + f" Sản phẩm mẫu của {name}.",
                "unit": unit, "price_vnd": price, "stock": stock,
                "stars": 5 if flagship and position == 0 else None,
                "producer_slug": p_slug, "producer_name": name, "producer_kind": kind, "producer_tax_code": "",
                "producer_locality": loc["slug"], "producer_address": address, "producer_phone": "",
                "producer_email": email, "producer_description": description, "source": SAMPLE,
            })
    assert len(rows) == sample_total, len(rows)
    assign_certificates(rng, rows, real)
    return real + rows


def assign_certificates(rng: random.Random, rows: list[dict], real: list[dict]) -> None:
    """Stars and certificates of the sample rows, so that with `real` the published counts hold."""
    wanted = Counter(STAR_COUNTS) - Counter(r["stars"] for r in real)
    others = [r for r in rows if r["stars"] is None]
    four = set(map(id, weighted_sample(rng, others, [FOUR_STAR_WEIGHT[r["producer_kind"]] for r in others],
                                       wanted[4])))
    for r in others:
        r["stars"] = 4 if id(r) in four else 3
    assert Counter(r["stars"] for r in rows + real) == Counter(STAR_COUNTS)

    # Issue dates: expired, expiring within 60 days, and the rest spread over later rounds.
    ordinary = [r for r in rows if r["stars"] < 5]
    rng.shuffle(ordinary)
    expired, soon, rest = (ordinary[:EXPIRED], ordinary[EXPIRED:EXPIRED + EXPIRING_SOON],
                           ordinary[EXPIRED + EXPIRING_SOON:])
    first_live_issue = add_months(REFERENCE_DATE, -VALIDITY_MONTHS)  # issued on/after this: not expired
    for r in expired:
        r["issued_on"] = first_live_issue - timedelta(days=rng.randint(20, 150))
    for r in soon:
        r["issued_on"] = first_live_issue + timedelta(days=rng.randint(1, 58))
    for r in rest:
        r["issued_on"] = first_live_issue + timedelta(days=rng.randint(75, 1050))
    for r in rows:
        if r["stars"] == 5:
            r["issued_on"] = date(2024, rng.randint(3, 12), rng.randint(1, 28))
    pending = set(map(id, rng.sample([r for r in rest if r["issued_on"] >= date(2026, 1, 1)], UNVERIFIED)))

    per_year: Counter = Counter()
    for r in sorted(rows, key=lambda r: (r["issued_on"], r["product_slug"])):
        year = r["issued_on"].year
        per_year[(year, r["stars"] == 5)] += 1
        # "MAU" (mẫu): a sample certificate number, in no register's format.
        if r["stars"] == 5:
            r["certificate_no"] = f"MAU-TW-{year}-{per_year[(year, True)]:03d}"
            r["certificate_level"] = "national"
        else:
            r["certificate_no"] = f"MAU-QN-{year}-{per_year[(year, False)]:04d}"
            r["certificate_level"] = "province"
        r["expires_on"] = add_months(r["issued_on"], VALIDITY_MONTHS)
        r["verified"] = "false" if id(r) in pending else "true"


def weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """k distinct items, each draw proportional to weight (Efraimidis–Spirakis keys)."""
    keyed = sorted(zip((rng.random() ** (1.0 / w) for w in weights), range(len(items))), reverse=True)
    return [items[i] for _key, i in keyed[:k]]


def write(rows: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "issued_on": r["issued_on"].isoformat(), "expires_on": r["expires_on"].isoformat()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "ocop_products.csv")
    args = parser.parse_args()
    rows = build(random.Random(SEED))
    write(rows, args.output)
    producers = {r["producer_slug"] for r in rows}
    sourced = sum(r["source"] != SAMPLE for r in rows)
    print(f"wrote {len(rows)} products ({sourced} from the public record) from {len(producers)} producers "
          f"to {args.output}; stars "
          + ", ".join(f"{s}★ {n}" for s, n in sorted(Counter(r['stars'] for r in rows).items(), reverse=True)))


if __name__ == "__main__":
    main()
