"""The vocabularies in Korean and English, and eras as two trees that cover every year from 1850 to 2000:
Korean historical periods (with sub-periods) and centuries divided into decades.

Existing slugs stay valid (photos, hint guidance and the model's context profiles key on them); only
first-republic changes its years (1948–1950 became the whole First Republic, 1948–1960, which now contains the
Korean War and post-war reconstruction)."""

from django.db import migrations

# slug, parent slug, kind, years, English name, Korean name, English description, Korean description
PERIODS = [
    (
        "late-joseon",
        None,
        1850,
        1897,
        "Late Joseon",
        "조선 말기",
        "The last decades of the Joseon dynasty: the opening of the ports (1876), reforms and foreign pressure.",
        "조선 왕조의 마지막 수십 년. 개항(1876)과 개화 정책, 열강의 압력이 이어진 시기.",
    ),
    (
        "korean-empire",
        None,
        1897,
        1910,
        "Korean Empire",
        "대한제국",
        "Gojong proclaims the Korean Empire (1897) until annexation by Japan (1910).",
        "고종이 대한제국을 선포한 1897년부터 국권을 빼앗긴 1910년까지.",
    ),
    (
        "japanese-occupation",
        None,
        1910,
        1945,
        "Japanese occupation",
        "일제강점기",
        "Korea under Japanese colonial rule, from 1910 to liberation on 15 August 1945.",
        "1910년부터 1945년 8월 15일 광복까지 일본의 식민 지배를 받은 시기.",
    ),
    (
        "liberation",
        None,
        1945,
        1948,
        "Liberation",
        "해방기",
        "From liberation to the founding of the two Korean states: the US and Soviet military governments.",
        "광복부터 남북에 각각 정부가 들어서기까지. 미군정과 소련 군정의 시기.",
    ),
    (
        "first-republic",
        None,
        1948,
        1960,
        "First Republic",
        "제1공화국",
        "The founding of the Republic of Korea (15 August 1948) and the Syngman Rhee government until 1960.",
        "1948년 8월 15일 대한민국 정부 수립부터 1960년까지 이승만 정부 시기.",
    ),
    (
        "korean-war",
        "first-republic",
        1950,
        1953,
        "Korean War",
        "한국전쟁",
        "The war from 25 June 1950 to the armistice of 27 July 1953.",
        "1950년 6월 25일부터 1953년 7월 27일 정전 협정까지의 전쟁.",
    ),
    (
        "post-war",
        "first-republic",
        1953,
        1960,
        "Post-war reconstruction",
        "전후 재건",
        "Rebuilding after the armistice: refugees, aid and reconstruction.",
        "정전 이후 피란민 정착과 원조, 복구가 이어진 재건기.",
    ),
    (
        "second-republic",
        None,
        1960,
        1961,
        "April Revolution and Second Republic",
        "4·19 혁명과 제2공화국",
        "The April Revolution of 1960 and the short-lived Second Republic.",
        "1960년 4·19 혁명과 짧았던 제2공화국.",
    ),
    (
        "industrialization",
        None,
        1961,
        1987,
        "Industrialization",
        "산업화 시대",
        "Rapid industrial growth under military-led governments, from 1961 to the June Democratic Struggle.",
        "1961년부터 6월 민주 항쟁까지 군사 정권 아래에서 급속한 산업화가 진행된 시기.",
    ),
    (
        "democratization",
        None,
        1987,
        2000,
        "Democratization",
        "민주화 이후",
        "The democratic constitution of 1987, the Seoul Olympics and the end of the century.",
        "1987년 민주 헌법 개정 이후 서울 올림픽을 거쳐 20세기 말까지.",
    ),
]
CENTURIES = [
    ("19th-century", 1800, 1899, "19th century", "19세기"),
    ("20th-century", 1900, 1999, "20th century", "20세기"),
    ("21st-century", 2000, 2099, "21st century", "21세기"),
]
SITUATIONS = [
    ("war", "War", "전쟁", "Combat, soldiers, refugees and war damage.", "전투, 군인, 피란민과 전쟁 피해."),
    (
        "liberation",
        "Liberation",
        "해방",
        "Celebrations and events of liberation.",
        "광복을 맞은 환호와 그 무렵의 일들.",
    ),
    ("protest", "Protest", "시위", "Demonstrations, marches and rallies.", "시위, 행진, 집회."),
    (
        "ceremony",
        "Ceremony",
        "의식·행사",
        "Official ceremonies, rites and public events.",
        "공식 의식, 제례와 공공 행사.",
    ),
    (
        "daily-life",
        "Daily life",
        "일상생활",
        "People at home, at work, at school and at the market.",
        "집, 일터, 학교, 장터에서의 사람들의 일상.",
    ),
    (
        "portrait",
        "Portrait",
        "인물 사진",
        "A person or a group posing for the camera.",
        "한 사람이나 여러 사람이 사진기 앞에 선 모습.",
    ),
    ("street", "Street", "거리", "Streets, shops, traffic and city views.", "거리, 상점, 교통과 도시 풍경."),
    ("rural", "Rural", "농촌", "Villages, farming and the countryside.", "마을, 농사와 시골 풍경."),
    (
        "industry",
        "Industry",
        "산업",
        "Factories, mines, construction and workers.",
        "공장, 광산, 건설 현장과 노동자.",
    ),
    ("disaster", "Disaster", "재난", "Floods, fires and other disasters.", "홍수, 화재 등 재난."),
]


def decade_name_ko(start):
    return f"{start}년대"


def seed(apps, schema_editor):
    Era = apps.get_model("archive", "Era")
    Situation = apps.get_model("archive", "Situation")

    def put(slug, **values):
        values["name"] = values["name_en"]
        values["description"] = values.get("description_en", "")
        era, _ = Era.objects.update_or_create(slug=slug, defaults=values)
        return era

    order = 0
    by_slug = {}
    for slug, parent, year_from, year_to, en, ko, desc_en, desc_ko in PERIODS:
        order += 1
        by_slug[slug] = put(
            slug,
            kind="period",
            parent=by_slug.get(parent),
            year_from=year_from,
            year_to=year_to,
            name_en=en,
            name_ko=ko,
            description_en=desc_en,
            description_ko=desc_ko,
            order=order,
        )
    order = 100
    for slug, year_from, year_to, en, ko in CENTURIES:
        order += 100
        century = put(
            slug,
            kind="century",
            parent=None,
            year_from=year_from,
            year_to=year_to,
            name_en=en,
            name_ko=ko,
            order=order,
        )
        # decades from the 1850s to the 2000s (the vocabulary starts in 1850)
        for start in range(max(1850, year_from), min(year_to, 2000) + 1, 10):
            put(
                f"{start}s",
                kind="decade",
                parent=century,
                year_from=start,
                year_to=start + 9,
                name_en=f"{start}s",
                name_ko=decade_name_ko(start),
                order=order + (start % 100) // 10 + 1,
            )
    for slug, en, ko, desc_en, desc_ko in SITUATIONS:
        Situation.objects.update_or_create(
            slug=slug,
            defaults={
                "name": en,
                "name_en": en,
                "name_ko": ko,
                "description": desc_en,
                "description_en": desc_en,
                "description_ko": desc_ko,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("archive", "0005_vocabulary_languages_and_hierarchy")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
