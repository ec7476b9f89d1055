# ruff: noqa: RUF001 (Cyrillic letters and full-width Chinese punctuation are meant)
"""Cross-language matching: needs and programmes written in different languages.

The engine maps text to the concepts of a multilingual lexicon (English,
French, Spanish, Portuguese, Arabic, Russian and Chinese surface forms), so a
need written in one language finds a programme written in another. Three
checks:

- needs hand-written in French, Spanish, Arabic, Russian and Chinese, on
  specific topics and without tags (text only), rank the relevant English
  programme of the development set first or, where several programmes address
  the topic, among the first three;
- the reverse: English needs against a pool of programmes written in those
  five languages rank the five versions of the relevant programme first;
- the development set's needs translated into each language
  (``tests/data/dev_needs_<lang>.json``) keep nDCG@5 within a measured margin
  of the English version, under the shared scorer.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import math
from typing import Any

import pytest

from matchmaking.dataset.evaluation import rank_dataset
from matchmaking.dataset.evaluation import ranking_document
from matchmaking.engine.text import LEXICON_DIR
from matchmaking.engine.text.analyser import default_lexicon
from matchmaking.engine.text.stemming import stem
from matchmaking.engine.text.stemming import term_stems
from matchmaking.engine.text.tokens import tokenize
from matchmaking.reference import DATA_DIR
from tests.paths import DATA

LANGUAGES = ("fr", "es", "ar", "ru", "zh")
ALL_LANGUAGES = ["en", "fr", "es", "ar", "ru", "zh", "pt"]


def _dev() -> dict[str, Any]:
    return json.loads((DATA / "dev.json").read_text(encoding="utf-8"))


def _open(programme: dict[str, Any]) -> dict[str, Any]:
    """A programme open to every country and language: only relevance decides."""
    opened = copy.deepcopy(programme)
    opened["eligibility"] = {
        "regions": [],
        "countries": [],
        "ldc_only": False,
        "sids_only": False,
    }
    opened["languages"] = ALL_LANGUAGES
    opened.pop("capacity", None)
    return opened


def _need(ref: str, title: str, description: str) -> dict[str, Any]:
    """An untagged need (text only) from a country every programme is open to."""
    return {
        "ref": ref,
        "country": "KEN",
        "title": title,
        "description": description,
        "topics": [],
        "assistance_types": [],
        "audiences": [],
        "languages": ALL_LANGUAGES,
        "delivery_modes": [],
    }


def _rankings(needs: list[dict], programmes: list[dict]) -> dict[str, list[str]]:
    dataset = {"format": "cbm-dataset/1", "needs": needs, "programmes": programmes}
    return {
        result.need: [m.programme for m in result.matches]
        for result in rank_dataset(dataset, top=10)
    }


# --- needs in five languages against the English programmes of the dev set -------

# The dev-set programmes written in English (four are in Spanish, French or
# Portuguese and left out here).
NOT_ENGLISH = {"elpaccto", "ripd-datos", "envr-dakar", "certbr-cursos"}

# topic: (the programme that must rank in the first three, the programmes that
# address the topic and may rank first)
EXPECTED = {
    "csirt": ("itu-cirt", {"itu-cirt", "oas-csirtamericas", "lacnic-csirt"}),
    "cybercrime-law": ("coe-glacye", {"coe-glacye", "au-malabo"}),
    "forensics": ("interpol-cyber", {"interpol-cyber", "coe-cybereast"}),
    "diplomacy": (
        "diplo-cyberdiplomacy",
        {"diplo-cyberdiplomacy", "ict4peace-diplomacy", "sg-unsg"},
    ),
    "data-protection": ("coe-dataprotection", {"coe-dataprotection"}),
    "sme-awareness": ("gca-toolkits", {"gca-toolkits"}),
    "threat-data": ("shadowserver-reports", {"shadowserver-reports"}),
}

FOREIGN_NEEDS: dict[str, dict[str, tuple[str, str]]] = {
    "csirt": {
        "fr": (
            "Création d'une équipe nationale de réponse aux incidents",
            "Notre pays n'a pas encore de CERT national. Nous demandons une "
            "évaluation de l'état de préparation, un appui pour définir le mandat "
            "et les services de l'équipe, et la formation des premiers analystes "
            "à la gestion des incidents.",
        ),
        "es": (
            "Creación de un equipo nacional de respuesta a incidentes",
            "El país aún no tiene un CSIRT nacional. Solicitamos una evaluación "
            "de preparación, apoyo para definir el mandato y los servicios del "
            "equipo y la formación de los primeros analistas en gestión de "
            "incidentes.",
        ),
        "ar": (
            "إنشاء فريق وطني للاستجابة لحوادث أمن الحاسوب",
            "لا يملك بلدنا بعد فريقاً وطنياً للاستجابة للطوارئ الحاسوبية. نطلب "
            "تقييماً للجاهزية، ودعماً لتحديد ولاية الفريق وخدماته، وتدريب أوائل "
            "المحللين على إدارة الحوادث.",
        ),
        "ru": (
            "Создание национальной группы реагирования на компьютерные инциденты",
            "В стране пока нет национальной группы CERT. Мы просим провести "
            "оценку готовности, помочь определить мандат и услуги группы и "
            "обучить первых аналитиков управлению инцидентами.",
        ),
        "zh": (
            "建立国家计算机应急响应小组",
            "我国尚无国家计算机应急响应小组。我们请求开展准备度评估，"
            "支持确定该小组的职责和服务，并培训首批分析人员开展事件管理。",
        ),
    },
    "cybercrime-law": {
        "fr": (
            "Rédaction d'une loi sur la cybercriminalité",
            "Le ministère de la Justice prépare une loi sur la cybercriminalité "
            "conforme à la Convention de Budapest : incriminations, pouvoirs "
            "procéduraux et coopération internationale, puis formation des "
            "procureurs et des juges.",
        ),
        "es": (
            "Redacción de una ley sobre ciberdelincuencia",
            "El Ministerio de Justicia prepara una ley sobre ciberdelincuencia "
            "conforme al Convenio de Budapest: tipificación de delitos, poderes "
            "procesales y cooperación internacional, y después capacitación de "
            "fiscales y jueces.",
        ),
        "ar": (
            "صياغة قانون بشأن الجرائم السيبرانية",
            "تعدّ وزارة العدل قانوناً بشأن الجرائم السيبرانية يتوافق مع اتفاقية "
            "بودابست: تجريم الأفعال والصلاحيات الإجرائية والتعاون الدولي، ثم "
            "تدريب أعضاء النيابة العامة والقضاة.",
        ),
        "ru": (
            "Разработка закона о киберпреступности",
            "Министерство юстиции готовит закон о киберпреступности в "
            "соответствии с Будапештской конвенцией: составы преступлений, "
            "процессуальные полномочия и международное сотрудничество, а затем "
            "обучение прокуроров и судей.",
        ),
        "zh": (
            "起草网络犯罪法",
            "司法部正在依照《布达佩斯公约》起草网络犯罪法，内容包括罪名、"
            "程序权力和国际合作，随后对检察官和法官进行培训。",
        ),
    },
    "forensics": {
        "fr": (
            "Criminalistique numérique pour la police",
            "L'unité de lutte contre la cybercriminalité de la police manque "
            "d'enquêteurs formés à l'investigation numérique. Nous cherchons une "
            "formation des policiers à l'analyse forensique des téléphones saisis "
            "et à la coopération policière internationale.",
        ),
        "es": (
            "Informática forense para la policía",
            "La unidad de ciberdelincuencia de la policía carece de "
            "investigadores formados en análisis forense digital. Buscamos "
            "capacitación de policías en el análisis forense de teléfonos "
            "incautados y en cooperación policial internacional.",
        ),
        "ar": (
            "الأدلة الجنائية الرقمية للشرطة",
            "تفتقر وحدة مكافحة الجرائم الإلكترونية في الشرطة إلى محققين مدربين "
            "على التحليل الجنائي الرقمي. نبحث عن تدريب ضباط الشرطة على التحليل "
            "الجنائي للهواتف المضبوطة وعلى التعاون الشرطي الدولي.",
        ),
        "ru": (
            "Цифровая криминалистика для полиции",
            "Подразделению полиции по борьбе с киберпреступностью не хватает "
            "следователей, обученных цифровой криминалистике. Мы ищем обучение "
            "сотрудников полиции криминалистическому анализу изъятых телефонов и "
            "международному полицейскому сотрудничеству.",
        ),
        "zh": (
            "为警方提供数字取证能力",
            "警方的网络犯罪部门缺乏受过数字取证培训的侦查人员。"
            "我们希望培训警察对扣押的手机进行取证分析，并开展国际警务合作。",
        ),
    },
    "diplomacy": {
        "fr": (
            "Formation des diplomates à la cyberdiplomatie",
            "Le ministère des Affaires étrangères veut former ses diplomates aux "
            "négociations de l'ONU sur la sécurité des TIC, aux normes de "
            "comportement responsable des États et au droit international "
            "applicable au cyberespace.",
        ),
        "es": (
            "Capacitación de diplomáticos en ciberdiplomacia",
            "El Ministerio de Relaciones Exteriores quiere formar a sus "
            "diplomáticos en las negociaciones de la ONU sobre seguridad de las "
            "TIC, las normas de comportamiento responsable de los Estados y el "
            "derecho internacional aplicable al ciberespacio.",
        ),
        "ar": (
            "تدريب الدبلوماسيين على الدبلوماسية السيبرانية",
            "تريد وزارة الخارجية تدريب دبلوماسييها على مفاوضات الأمم المتحدة "
            "بشأن أمن تكنولوجيا المعلومات والاتصالات، وعلى معايير السلوك المسؤول "
            "للدول، وعلى القانون الدولي المنطبق على الفضاء السيبراني.",
        ),
        "ru": (
            "Обучение дипломатов кибердипломатии",
            "Министерство иностранных дел хочет обучить своих дипломатов "
            "переговорам в ООН по безопасности ИКТ, нормам ответственного "
            "поведения государств и применению международного права в "
            "киберпространстве.",
        ),
        "zh": (
            "为外交官提供网络外交培训",
            "外交部希望培训其外交官参与联合国关于信息通信技术安全的谈判，"
            "了解负责任国家行为规范以及国际法在网络空间的适用。",
        ),
    },
    "data-protection": {
        "fr": (
            "Appui à la nouvelle autorité de protection des données",
            "Notre loi sur la protection des données personnelles vient d'être "
            "adoptée. L'autorité de protection des données demande un appui pour "
            "rédiger ses lignes directrices, traiter les plaintes et rejoindre "
            "la Convention 108+.",
        ),
        "es": (
            "Apoyo a la nueva autoridad de protección de datos",
            "Nuestra ley de protección de datos personales acaba de aprobarse. "
            "La autoridad de protección de datos pide apoyo para redactar sus "
            "directrices, tramitar las reclamaciones y adherirse al Convenio "
            "108+.",
        ),
        "ar": (
            "دعم الهيئة الجديدة لحماية البيانات",
            "اعتُمد مؤخراً قانوننا لحماية البيانات الشخصية. وتطلب هيئة حماية "
            "البيانات دعماً لصياغة مبادئها التوجيهية ومعالجة الشكاوى والانضمام "
            "إلى الاتفاقية 108+.",
        ),
        "ru": (
            "Поддержка нового органа по защите данных",
            "Наш закон о защите персональных данных только что принят. Орган по "
            "защите данных просит помочь в подготовке руководящих принципов, "
            "рассмотрении жалоб и присоединении к Конвенции 108+.",
        ),
        "zh": (
            "支持新成立的数据保护机构",
            "我国的个人数据保护法刚刚通过。数据保护机构请求支持，"
            "以起草指导意见、处理投诉并加入第108号公约。",
        ),
    },
    "sme-awareness": {
        "fr": (
            "Sensibilisation des petites entreprises à la cybersécurité",
            "Les PME sont de plus en plus victimes d'hameçonnage et de "
            "rançongiciels. La chambre de commerce cherche des boîtes à outils "
            "gratuites et des guides pratiques pour aider les petites entreprises "
            "à adopter une bonne hygiène informatique.",
        ),
        "es": (
            "Sensibilización de las pequeñas empresas en ciberseguridad",
            "Las pymes son cada vez más víctimas de phishing y ransomware. La "
            "cámara de comercio busca herramientas gratuitas y guías prácticas "
            "para ayudar a las pequeñas empresas a adoptar una buena higiene "
            "cibernética.",
        ),
        "ar": (
            "توعية المؤسسات الصغيرة بالأمن السيبراني",
            "تتعرض المؤسسات الصغيرة والمتوسطة بشكل متزايد للتصيد الاحتيالي "
            "وبرمجيات الفدية. وتبحث غرفة التجارة عن أدوات مجانية وأدلة عملية "
            "لمساعدة المؤسسات الصغيرة على اعتماد النظافة السيبرانية.",
        ),
        "ru": (
            "Повышение осведомленности малого бизнеса о кибербезопасности",
            "Малые и средние предприятия все чаще становятся жертвами фишинга и "
            "программ-вымогателей. Торговая палата ищет бесплатные инструменты и "
            "практические руководства, чтобы помочь малому бизнесу соблюдать "
            "кибергигиену.",
        ),
        "zh": (
            "提高中小企业的网络安全意识",
            "中小企业越来越多地成为网络钓鱼和勒索软件的受害者。"
            "商会正在寻找免费的工具包和实用指南，帮助小企业养成良好的网络卫生习惯。",
        ),
    },
    "threat-data": {
        "fr": (
            "Données sur les menaces pour le CERT national",
            "Notre CERT national a peu de visibilité sur les systèmes compromis "
            "et les botnets de notre espace d'adressage. Nous cherchons des "
            "rapports quotidiens gratuits sur les menaces et les appareils "
            "infectés.",
        ),
        "es": (
            "Datos sobre amenazas para el CERT nacional",
            "Nuestro CERT nacional tiene poca visibilidad de los sistemas "
            "comprometidos y las botnets de nuestro espacio de direcciones. "
            "Buscamos informes diarios gratuitos sobre amenazas y dispositivos "
            "infectados.",
        ),
        "ar": (
            "بيانات عن التهديدات لفريق الاستجابة الوطني",
            "لا يملك فريق الاستجابة للطوارئ الحاسوبية الوطني رؤية كافية للأنظمة "
            "المخترقة وشبكات البوت في فضاء عناويننا. نبحث عن تقارير يومية مجانية "
            "عن التهديدات والأجهزة المصابة.",
        ),
        "ru": (
            "Данные об угрозах для национальной группы CERT",
            "Наша национальная группа CERT плохо видит скомпрометированные "
            "системы и ботнеты в нашем адресном пространстве. Мы ищем бесплатные "
            "ежедневные отчеты об угрозах и зараженных устройствах.",
        ),
        "zh": (
            "为国家计算机应急响应小组提供威胁数据",
            "我国的国家计算机应急响应小组对本国地址空间中被入侵的系统和僵尸网络"
            "缺乏了解。我们希望获得关于威胁和受感染设备的免费每日报告。",
        ),
    },
}


@pytest.fixture(scope="module")
def english_pool() -> list[dict[str, Any]]:
    return [_open(p) for p in _dev()["programmes"] if p["ref"] not in NOT_ENGLISH]


@pytest.fixture(scope="module")
def foreign_rankings(english_pool) -> dict[str, list[str]]:
    needs = [
        _need(f"{topic}-{lang}", *texts)
        for topic, by_lang in FOREIGN_NEEDS.items()
        for lang, texts in by_lang.items()
    ]
    return _rankings(needs, english_pool)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("topic", list(EXPECTED))
def test_a_need_in_another_language_finds_the_relevant_english_programme(
    foreign_rankings, topic, lang
):
    best, acceptable_first = EXPECTED[topic]
    ranking = foreign_rankings[f"{topic}-{lang}"]
    assert ranking[0] in acceptable_first, ranking[:5]
    assert best in ranking[:3], ranking[:5]


def test_the_hand_written_needs_cover_five_languages_and_every_topic():
    assert set(FOREIGN_NEEDS) == set(EXPECTED)
    assert all(set(by_lang) == set(LANGUAGES) for by_lang in FOREIGN_NEEDS.values())


# --- English needs against programmes written in five languages ------------------

FOREIGN_PROGRAMMES: dict[str, dict[str, tuple[str, str]]] = {
    "csirt": {
        "fr": (
            "Programme d'appui à la création des CSIRT nationaux",
            "Évaluation de la préparation, définition du mandat et du catalogue "
            "de services, procédures de gestion des incidents et formation des "
            "analystes des nouvelles équipes nationales de réponse aux incidents.",
        ),
        "es": (
            "Programa de apoyo a la creación de CSIRT nacionales",
            "Evaluación de preparación, definición del mandato y del catálogo de "
            "servicios, procedimientos de gestión de incidentes y formación de "
            "analistas de los nuevos equipos nacionales de respuesta a "
            "incidentes.",
        ),
        "ar": (
            "برنامج دعم إنشاء الفرق الوطنية للاستجابة لحوادث أمن الحاسوب",
            "تقييم الجاهزية، وتحديد الولاية وقائمة الخدمات، وإجراءات إدارة "
            "الحوادث، وتدريب المحللين في الفرق الوطنية الجديدة للاستجابة للحوادث.",
        ),
        "ru": (
            "Программа поддержки создания национальных групп CSIRT",
            "Оценка готовности, определение мандата и каталога услуг, процедуры "
            "управления инцидентами и обучение аналитиков новых национальных "
            "групп реагирования на инциденты.",
        ),
        "zh": (
            "国家计算机安全事件响应小组建设支持项目",
            "开展准备度评估，确定职责和服务目录，制定事件管理程序，"
            "并为新组建的国家事件响应小组培训分析人员。",
        ),
    },
    "cybercrime-law": {
        "fr": (
            "Assistance législative en matière de cybercriminalité",
            "Appui à la rédaction de lois sur la cybercriminalité et la preuve "
            "électronique conformes à la Convention de Budapest, et formation des "
            "juges et des procureurs à leur application.",
        ),
        "es": (
            "Asistencia legislativa en materia de ciberdelincuencia",
            "Apoyo a la redacción de leyes sobre ciberdelincuencia y prueba "
            "electrónica conformes al Convenio de Budapest, y capacitación de "
            "jueces y fiscales en su aplicación.",
        ),
        "ar": (
            "المساعدة التشريعية في مجال الجرائم السيبرانية",
            "دعم صياغة قوانين الجرائم السيبرانية والأدلة الإلكترونية بما يتوافق "
            "مع اتفاقية بودابست، وتدريب القضاة وأعضاء النيابة العامة على "
            "تطبيقها.",
        ),
        "ru": (
            "Законодательная помощь в сфере киберпреступности",
            "Поддержка в разработке законов о киберпреступности и электронных "
            "доказательствах в соответствии с Будапештской конвенцией и обучение "
            "судей и прокуроров их применению.",
        ),
        "zh": (
            "网络犯罪立法援助",
            "依照《布达佩斯公约》支持起草网络犯罪和电子证据方面的法律，"
            "并培训法官和检察官适用这些法律。",
        ),
    },
    "critical-infrastructure": {
        "fr": (
            "Protection des infrastructures critiques",
            "Identification des opérateurs d'importance vitale, obligations de "
            "sécurité et de notification des incidents, et sécurité des systèmes "
            "de contrôle industriels dans l'énergie et les télécommunications.",
        ),
        "es": (
            "Protección de infraestructuras críticas",
            "Identificación de operadores de servicios esenciales, obligaciones "
            "de seguridad y de notificación de incidentes, y seguridad de los "
            "sistemas de control industrial en energía y telecomunicaciones.",
        ),
        "ar": (
            "حماية البنية التحتية الحيوية",
            "تحديد مشغلي الخدمات الأساسية، والتزامات الأمن والإبلاغ عن الحوادث، "
            "وأمن أنظمة التحكم الصناعي في قطاعي الطاقة والاتصالات.",
        ),
        "ru": (
            "Защита критической инфраструктуры",
            "Определение операторов основных услуг, обязательства по "
            "безопасности и уведомлению об инцидентах, безопасность промышленных "
            "систем управления в энергетике и телекоммуникациях.",
        ),
        "zh": (
            "关键基础设施保护",
            "识别基本服务运营者，规定安全和事件通报义务，"
            "并保障能源和电信行业工业控制系统的安全。",
        ),
    },
    "diplomacy": {
        "fr": (
            "Cours de cyberdiplomatie",
            "Formation des diplomates aux négociations de l'ONU sur la sécurité "
            "des TIC, aux normes de comportement responsable des États, aux "
            "mesures de confiance et au droit international dans le cyberespace.",
        ),
        "es": (
            "Cursos de ciberdiplomacia",
            "Formación de diplomáticos en las negociaciones de la ONU sobre "
            "seguridad de las TIC, las normas de comportamiento responsable de "
            "los Estados, las medidas de fomento de la confianza y el derecho "
            "internacional en el ciberespacio.",
        ),
        "ar": (
            "دورات في الدبلوماسية السيبرانية",
            "تدريب الدبلوماسيين على مفاوضات الأمم المتحدة بشأن أمن تكنولوجيا "
            "المعلومات والاتصالات، ومعايير السلوك المسؤول للدول، وتدابير بناء "
            "الثقة، والقانون الدولي في الفضاء السيبراني.",
        ),
        "ru": (
            "Курсы по кибердипломатии",
            "Обучение дипломатов переговорам в ООН по безопасности ИКТ, нормам "
            "ответственного поведения государств, мерам укрепления доверия и "
            "международному праву в киберпространстве.",
        ),
        "zh": (
            "网络外交课程",
            "培训外交官参与联合国关于信息通信技术安全的谈判，"
            "了解负责任国家行为规范、建立信任措施以及网络空间国际法。",
        ),
    },
    "sme-awareness": {
        "fr": (
            "Boîte à outils de cybersécurité pour les petites entreprises",
            "Guides pratiques gratuits, campagnes de sensibilisation et conseils "
            "d'hygiène informatique pour aider les PME à se protéger contre "
            "l'hameçonnage et les rançongiciels.",
        ),
        "es": (
            "Herramientas de ciberseguridad para pequeñas empresas",
            "Guías prácticas gratuitas, campañas de sensibilización y consejos "
            "de higiene cibernética para ayudar a las pymes a protegerse del "
            "phishing y del ransomware.",
        ),
        "ar": (
            "أدوات الأمن السيبراني للمؤسسات الصغيرة",
            "أدلة عملية مجانية وحملات توعية ونصائح في النظافة السيبرانية لمساعدة "
            "المؤسسات الصغيرة والمتوسطة على حماية نفسها من التصيد الاحتيالي "
            "وبرمجيات الفدية.",
        ),
        "ru": (
            "Инструменты кибербезопасности для малого бизнеса",
            "Бесплатные практические руководства, кампании по повышению "
            "осведомленности и советы по кибергигиене, которые помогают малым и "
            "средним предприятиям защищаться от фишинга и программ-вымогателей.",
        ),
        "zh": (
            "小企业网络安全工具包",
            "提供免费实用指南、宣传活动和网络卫生建议，"
            "帮助中小企业防范网络钓鱼和勒索软件。",
        ),
    },
}

ENGLISH_NEEDS = {
    "csirt": (
        "Setting up our national CSIRT",
        "We have no national computer incident response team yet and need a "
        "readiness assessment, help defining its mandate and services, incident "
        "handling procedures and training for the first analysts.",
    ),
    "cybercrime-law": (
        "Drafting a cybercrime law",
        "The Ministry of Justice is drafting a cybercrime law in line with the "
        "Budapest Convention, with rules on electronic evidence, and then needs "
        "training for judges and prosecutors.",
    ),
    "critical-infrastructure": (
        "Protecting critical infrastructure operators",
        "We must designate the operators of critical infrastructure in energy "
        "and telecommunications, set their security and incident notification "
        "obligations and secure their industrial control systems.",
    ),
    "diplomacy": (
        "Cyber diplomacy training for diplomats",
        "Our foreign ministry wants its diplomats trained for UN negotiations on "
        "ICT security, norms of responsible state behaviour, confidence-building "
        "measures and international law in cyberspace.",
    ),
    "sme-awareness": (
        "Cybersecurity awareness for small businesses",
        "Small and medium enterprises are hit by phishing and ransomware; we are "
        "looking for free toolkits, practical guides and cyber hygiene awareness "
        "campaigns for small businesses.",
    ),
}


def _foreign_programme(topic: str, lang: str) -> dict[str, Any]:
    title, summary = FOREIGN_PROGRAMMES[topic][lang]
    return {
        "ref": f"{topic}-{lang}",
        "provider": "p",
        "title": title,
        "summary": summary,
        "description": "",
        "topics": [],
        "assistance_types": [],
        "audiences": [],
        "languages": ALL_LANGUAGES,
        "delivery_modes": [],
        "eligibility": {
            "regions": [],
            "countries": [],
            "ldc_only": False,
            "sids_only": False,
        },
    }


@pytest.fixture(scope="module")
def english_rankings() -> dict[str, list[str]]:
    pool = [
        _foreign_programme(topic, lang)
        for topic in FOREIGN_PROGRAMMES
        for lang in LANGUAGES
    ]
    needs = [_need(topic, *texts) for topic, texts in ENGLISH_NEEDS.items()]
    return _rankings(needs, pool)


@pytest.mark.parametrize("topic", list(ENGLISH_NEEDS))
def test_an_english_need_ranks_the_relevant_programme_first_in_every_language(
    english_rankings, topic
):
    # A pool of 25 programmes, five topics written in five languages: the five
    # versions of the relevant programme come first, in whatever order.
    ranking = english_rankings[topic]
    assert sorted(ranking[:5]) == sorted(f"{topic}-{lang}" for lang in LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_programme_in_another_language_is_ranked_first_for_its_topic(
    english_rankings, lang
):
    # Per language: among that language's five programmes, the English need's
    # topic ranks first.
    for topic in ENGLISH_NEEDS:
        in_lang = [r for r in english_rankings[topic] if r.endswith(f"-{lang}")]
        assert in_lang[0] == f"{topic}-{lang}", (topic, in_lang)


# --- Chinese text analysis ------------------------------------------------------


def test_chinese_runs_are_searched_for_lexicon_terms():
    tokens = tokenize("建立国家CSIRT，制定网络安全战略。")
    assert tokens[:3] == ["建立", "国家", "csirt"]
    # A term inside a longer one of another concept counts too ("网络安全"
    # in "网络安全战略"), as "cybersecurity" does in "cybersecurity strategy".
    assert "网络安全战略" in tokens
    assert "网络安全" in tokens


def test_a_shorter_chinese_term_of_the_same_concept_counts_once():
    profile = default_lexicon().profile({"title": "关键信息基础设施保护"})
    assert profile.concepts == {"critical-infrastructure": 2.0}
    assert profile.topics == {"critical-infrastructure": 1.0}


def test_every_concept_has_chinese_arabic_and_russian_terms():
    raw = json.loads((LEXICON_DIR / "concepts.json").read_text(encoding="utf-8"))
    for concept in raw["concepts"]:
        terms = concept["terms"]
        assert terms.get("zh"), concept["id"]
        assert terms.get("ar"), concept["id"]
        assert terms.get("ru"), concept["id"]
        # Chinese terms are matched inside runs of Han characters only.
        assert all(
            term and all("\u3400" <= ch <= "\u9fff" for ch in term)
            for term in terms["zh"]
        ), concept["id"]


# --- Arabic text analysis -------------------------------------------------------


def test_arabic_vowel_signs_and_shadda_do_not_cut_a_word():
    # "تصيّد احتيالي" (phishing) with a shadda, "ويُفضَّل" with a damma and a
    # fatha over a shadda: one token each, read as the unmarked word.
    assert tokenize("هجمات تصيّد احتيالي ويُفضَّل") == [
        "هجمات",
        "تصيد",
        "احتيالي",
        "ويفضل",
    ]
    assert (
        "phishing"
        in default_lexicon().profile({"title": "هجمات تصيّد احتيالي"}).concepts
    )


def test_a_combining_stress_mark_does_not_cut_a_russian_word():
    assert tokenize("мо\u0301ниторинг") == ["мониторинг"]


def test_arabic_observers_are_not_read_as_security_monitoring():
    # The light stemmer gives "مراقب" for both observers (المراقبين) and
    # monitoring (المراقبة): monitoring is matched by its exact forms.
    lexicon = default_lexicon()
    observers = lexicon.profile({"title": "حماية المراقبين والمراقبون"})
    assert "security-operations" not in observers.concepts
    for text in ("المراقبة", "والمراقبة", "مراقبة الشبكات"):
        assert "security-operations" in lexicon.profile({"title": text}).concepts


def test_the_tanween_alef_is_not_part_of_the_word():
    # "تدريباً" (training, indefinite accusative) is "تدريب" with a tanween.
    assert tokenize("نحتاج تدريباً وأدوات") == ["نحتاج", "تدريب", "وأدوات"]
    profile = default_lexicon().profile({"title": "نحتاج تدريباً"})
    assert "training" in profile.concepts


def test_an_attached_pronoun_is_stripped_before_the_plural_ending():
    # "خدماته" (its services) and "قدراتنا" (our capacities) have the stems of
    # "الخدمات" and "القدرات"; "حكومتها" (its government), a ta marbuta
    # written as ت before the pronoun, that of "الحكومة".
    assert stem("ar", "خدماته") == stem("ar", "الخدمات")
    assert stem("ar", "قدراتنا") == stem("ar", "القدرات")
    assert stem("ar", "حكومتها") == stem("ar", "الحكومة")
    lexicon = default_lexicon()
    services = lexicon.profile({"title": "تحديد ولاية الفريق وقائمة خدماته"})
    assert "csirt-services" in services.concepts
    duties = lexicon.profile({"title": "تحديد التزاماتهم في مجال الأمن"})
    assert "incident-notification" in duties.concepts


def test_an_alef_with_hamza_is_not_read_as_the_article():
    # "إلكتروني" has no article: it keeps the stem of "الإلكتروني".
    assert stem("ar", "إلكتروني") == stem("ar", "الإلكتروني")
    assert stem("ar", "والإلكترونية") == stem("ar", "الإلكتروني")


@pytest.mark.parametrize(
    ("text", "concept", "found"),
    [
        ("هجمات تصيد احتيالي", "fraud", False),  # fraudulent, as in English
        ("عمليات النصب والاحتيال", "fraud", True),
        ("تشغيل المختبر", "establishment", False),  # operating, not setting up
        ("إطلاق فريق وطني", "establishment", True),
        ("مراجعة القوانين", "legislation", True),  # broken plural of law
        ("السلامة عبر الإنترنت", "online-safety", True),
        ("طلبات البيانات", "students-youth", False),  # requests, not students
        ("الطلبة والخريجين", "students-youth", True),
        # "أدلة" is guides and evidence: with "عملية", practical guides.
        ("وأدلة عملية للمؤسسات الصغيرة", "knowledge-products", True),
        ("الأدلة العملية", "knowledge-products", True),
        ("جمع الأدلة الرقمية", "knowledge-products", False),
        ("لتحديد المعيار", "security-standards", True),  # singular of المعايير
        ("التفاوض في مناقشات الأمم المتحدة", "multilateral", True),  # negotiating
        # Joining a convention is accession; joining anything else is not.
        ("والانضمام إلى الاتفاقية 108+", "cybercrime-conventions", True),
        ("للانضمام إلى برامج الزمالة", "cybercrime-conventions", False),
        # "بحري" is anything of the sea: the submarine cable is not shipping.
        ("قطع الكابل البحري الدولي", "transport-water", False),
        ("الموانئ والنقل البحري", "transport-water", True),
        # Electronic communications law, as in English, not any two neighbours.
        ("خدمات الحكومة الإلكترونية والاتصال الدولي", "e-commerce-law", False),
        ("قانون الاتصالات الإلكترونية", "e-commerce-law", True),
        # Security operations are plural; "عملية" is also practical.
        ("قوائم تحقق أمنية عملية", "security-operations", False),
        ("تنسيق العمليات الأمنية", "security-operations", True),
        # The specialists, not specialised (training).
        ("تدريباً متخصصاً للمدعين العامين", "workforce-skills", False),
        ("نقص المتخصصين", "workforce-skills", True),
        # Inclusion, not incorporating a module into a course.
        ("إدماج وحدة دائمة في التدريب", "diversity", False),
        ("التنوع والإدماج", "diversity", True),
        ("الإخطار بانتهاكات أمن البيانات", "cyber-attacks", True),  # data breach
        ("إعداد اللوائح والأدلة الإرشادية", "regulation", True),  # regulations
    ],
)
def test_arabic_forms_read_as_their_english_counterparts(text, concept, found):
    assert (concept in default_lexicon().profile({"title": text}).concepts) is found


@pytest.mark.parametrize(
    ("text", "found", "not_found"),
    [
        # Ransomware and malware are "software of ransom", "malicious software":
        # not software tools, as English "ransomware" holds no word "software".
        ("هجوم ببرمجية الفدية", "cyber-attacks", "tools-equipment"),
        ("برمجيات الفدية والبرمجيات الخبيثة", "cyber-attacks", "tools-equipment"),
        # A secure network after ransomware: no secure software either.
        ("شبكات آمنة بعد هجوم ببرمجية الفدية", "network-security", "secure-software"),
        # ICT: "الاتصالات" is communications here, not the telecom sector.
        ("وزارة تكنولوجيا المعلومات والاتصالات", "public-sector", "telecom-sector"),
        ("أمن تكنولوجيا المعلومات والاتصالات", "cybersecurity", "telecom-sector"),
        # Civil society is not the general public (communities).
        ("منظمات المجتمع المدني", "civil-society", "general-public"),
        # Cybercrime is one word in English: its crimes are not the offences
        # of criminal law, unless a law is named.
        ("التحقيق في الجرائم السيبرانية", "cybercrime", "criminal-law"),
        # Forensic ("جنائي" is also criminal) analysis, then procedures: no
        # criminal procedure.
        (
            "التحليل الجنائي الرقمي، وإجراءات للحصول على البيانات",
            "digital-forensics",
            "criminal-law",
        ),
    ],
)
def test_a_word_inside_an_arabic_compound_is_not_read_alone(text, found, not_found):
    concepts = default_lexicon().profile({"title": text}).concepts
    assert found in concepts
    assert not_found not in concepts


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("الطاقة والاتصالات والمالية", "telecom-sector"),  # no compound
        ("قانون الجرائم السيبرانية", "criminal-law"),  # holds the whole compound
        # A compound's words are next to one another: crimes and cyber attacks.
        ("الجرائم والهجمات السيبرانية", "criminal-law"),
        ("الجرائم والهجمات السيبرانية", "cyber-attacks"),
        ("المجتمعات المحلية", "general-public"),
    ],
)
def test_the_words_of_an_arabic_compound_are_read_elsewhere(text, concept):
    assert concept in default_lexicon().profile({"title": text}).concepts


def test_compounds_are_read_alike_by_the_batch_scan():
    lexicon = default_lexicon()
    lexicon.clear_memos()
    parts = [
        "هجوم ببرمجية الفدية على الشبكات الحكومية",
        "وزارة تكنولوجيا المعلومات والاتصالات",
        "منظمات المجتمع المدني والمجتمعات المحلية",
        "التحقيق في الجرائم السيبرانية وقانون الجرائم السيبرانية",
        "الجرائم والهجمات السيبرانية",
        "الطاقة والاتصالات والبرمجيات",
    ]
    records = [
        {"title": parts[n % 6], "description": f"{parts[(n + 1) % 6]} {n}"}
        for n in range(48)
    ]
    one_by_one = [lexicon.profile(r) for r in records]
    lexicon.clear_memos()
    assert lexicon.profiles(records, workers=1) == one_by_one


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("وظائف الأمن السيبراني", "workforce-skills"),  # jobs, like "الوظائف"
        ("برمجيات مجانية", "tools-equipment"),  # free software
        ("حماية بيانات المواطنين", "data-protection"),
    ],
)
def test_an_arabic_term_word_with_the_article_is_found_without_it(text, concept):
    # Without the article, the light stemmer takes the first letter of
    # "وظائف", "برمجيات", "بيانات" for a proclitic: the term is found either way.
    assert concept in default_lexicon().profile({"title": text}).concepts


def test_a_stem_of_fewer_than_three_letters_is_not_added_for_a_term():
    # "الوكالة" (agency) without its article and first letter would be "ال".
    assert all(len(s) >= 3 for s in term_stems("ar", "الوكالة"))


@pytest.mark.parametrize(
    "text", ["فريق الاستجابة", "الفريق الاستجابة", "فريقاً للاستجابة"]
)
def test_an_arabic_word_starting_like_a_proclitic_is_found_with_or_without_article(
    text,
):
    # The light stemmer strips a first ف from "فريق" (team) but not from
    # "الفريق": the term is found either way.
    assert "csirt" in default_lexicon().profile({"title": text}).concepts


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("وطلبت جمهورية الكونغو الديمقراطية", "general-public"),  # republic
        ("ممارسات أمن التوجيه", "mentoring"),  # routing, not guidance
        ("والأدلة الإرشادية", "electronic-evidence"),  # guides, not evidence
        ("Créer l'équipe nationale", "tools-equipment"),  # team
        ("Los equipos nacionales", "tools-equipment"),  # teams
        ("La cooperación internacional", "funding"),  # not "cooperantes"
        ("L'accompagnement doit se faire en français", "mentoring"),  # support
        ("勒索软件攻击", "tools-equipment"),  # ransomware is not software tools
        ("Подготовка стратегии", "training"),  # preparing a strategy
        ("تدريب عاملين في الإرشاد", "mentoring"),  # extension workers
        ("Trains engineers on good network practice", "online-safety"),
    ],
)
def test_false_friends_are_not_read_as_the_concept(text, concept):
    assert concept not in default_lexicon().profile({"title": text}).concepts


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Il faudra former les procureurs", "training"),
        ("y formar a los primeros analistas", "security-operations"),
        ("وتدريب أوائل المحللين", "security-operations"),
        ("وتطلب وزارة العدل", "public-sector"),
        ("الطاقة والاتصالات", "telecom-sector"),
        ("وإرشادات بشأن المقبولية", "knowledge-products"),
        ("بيانات التهديدات", "threat-intelligence"),
        ("sistemas comprometidos o vulnerables", "cyber-attacks"),
        ("توجيه وإرشاد للمتابعة", "mentoring"),
        # Basic security controls, in the words of a toolkit and of a need.
        (
            "backing up data, updating software, strong authentication",
            "secure-configuration",
        ),
        ("respaldos y autenticación fuerte", "secure-configuration"),
        ("обновление программного обеспечения", "secure-configuration"),
        ("软件更新和双因素认证", "secure-configuration"),
    ],
)
def test_translations_of_english_terms_are_read_as_the_concept(text, concept):
    assert concept in default_lexicon().profile({"title": text}).concepts


def _concept_cosine(a: dict[str, float], b: dict[str, float]) -> float:
    keys = set(a) | set(b)
    va = {k: math.log1p(a.get(k, 0.0)) for k in keys}
    vb = {k: math.log1p(b.get(k, 0.0)) for k in keys}
    dot = sum(va[k] * vb[k] for k in keys)
    norm = math.sqrt(sum(v * v for v in va.values()) * sum(v * v for v in vb.values()))
    return dot / norm if norm else 0.0


# Mean cosine of the concepts found in each dev need and in its English version
# (log-damped mentions), as measured: full text / terse rewrite.
#   fr 0.935 / 0.947, es 0.952 / 0.943, ar 0.955 / 0.956, ru 0.947 / 0.911,
#   zh 0.934 / 0.926 (before the Arabic and false-friend fixes: fr 0.918 /
#   0.933, es 0.936 / 0.925, ar 0.892 / 0.887 then 0.932 / 0.939 and 0.941 /
#   0.941, ru 0.940 / 0.904, zh 0.929 / 0.921)
CONCEPT_AGREEMENT = {
    "fr": (0.93, 0.94),
    "es": (0.95, 0.94),
    "ar": (0.95, 0.95),
    "ru": (0.94, 0.91),
    "zh": (0.93, 0.92),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_translated_need_is_read_as_the_same_concepts_as_the_english(lang):
    lexicon = default_lexicon()

    def concepts(record: dict[str, str]) -> dict[str, float]:
        fields = {k: record.get(k, "") for k in ("title", "description")}
        return dict(lexicon.profile(fields).concepts)

    english = json.loads((DATA / "dev_needs_en.json").read_text(encoding="utf-8"))
    found = json.loads((DATA / f"dev_needs_{lang}.json").read_text(encoding="utf-8"))
    terse = json.loads((DATA / "dev_needs_terse.json").read_text(encoding="utf-8"))
    full = [
        _concept_cosine(concepts(need), concepts(found["needs"][ref]))
        for ref, need in english["needs"].items()
    ]
    short = [
        _concept_cosine(concepts(need), concepts(terse["needs"][lang][ref]))
        for ref, need in terse["needs"]["en"].items()
    ]
    floor_full, floor_terse = CONCEPT_AGREEMENT[lang]
    assert sum(full) / len(full) >= floor_full
    assert sum(short) / len(short) >= floor_terse


def test_a_concept_has_a_chinese_label():
    lexicon = default_lexicon()
    assert lexicon.label("csirt", "zh") == "计算机安全事件响应小组"
    assert lexicon.label("csirt", "xx") == lexicon.label("csirt", "en")


# --- the development set translated into five languages --------------------------


def _scorer():
    spec = importlib.util.spec_from_file_location("cbm_score", DATA / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.M49 = DATA_DIR / "m49" / "unsd-m49-en.csv"
    return module


def _translated(dataset: dict, lang: str) -> dict:
    doc = json.loads((DATA / f"dev_needs_{lang}.json").read_text(encoding="utf-8"))
    assert doc["language"] == lang
    data = copy.deepcopy(dataset)
    assert set(doc["needs"]) == {n["ref"] for n in data["needs"]}
    for need in data["needs"]:
        version = doc["needs"][need["ref"]]
        need["title"], need["description"] = version["title"], version["description"]
    return data


def _variant(dataset: dict, mode: str) -> dict:
    data = copy.deepcopy(dataset)
    for need in data["needs"]:
        if mode == "untagged":
            need["topics"], need["assistance_types"], need["audiences"] = [], [], []
        elif mode == "onetopic":
            need["topics"] = need["topics"][:1]
            need["assistance_types"], need["audiences"] = [], []
    return data


MODES = ("posted", "onetopic", "untagged")
# Measured (nDCG@5, needs in English / fr / es / ar / ru / zh):
#   posted   0.957 / 0.960 / 0.954 / 0.951 / 0.962 / 0.954
#   onetopic 0.935 / 0.941 / 0.939 / 0.934 / 0.947 / 0.946
#   untagged 0.927 / 0.930 / 0.929 / 0.923 / 0.937 / 0.934
MIN_NDCG5 = 0.90
MAX_GAP_TO_ENGLISH = 0.04


@pytest.fixture(scope="module")
def dev_scores() -> dict[tuple[str, str], dict]:
    dev, scorer = _dev(), _scorer()
    scores = {}
    for lang in ("en", *LANGUAGES):
        translated = _translated(dev, lang)
        for mode in MODES:
            data = _variant(translated, mode) if mode != "posted" else translated
            ranking = ranking_document(rank_dataset(data, top=10))
            scores[lang, mode] = scorer.score(data, ranking)
    lines = ["nDCG@5 of the dev set's needs by language (programmes as posted):"]
    lines.append("mode      " + "  ".join(f"{lang:>5}" for lang in ("en", *LANGUAGES)))
    for mode in MODES:
        cells = "  ".join(
            f"{scores[lang, mode]['ndcg@5']:5.3f}" for lang in ("en", *LANGUAGES)
        )
        lines.append(f"{mode:<9} {cells}")
    print("\n".join(lines))  # noqa: T201 (the measured table, shown with pytest -s)
    return scores


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_translated_dev_needs_rank_english_programmes_almost_as_well(
    dev_scores, lang, mode
):
    english = dev_scores["en", mode]
    found = dev_scores[lang, mode]
    assert found["ndcg@5"] >= MIN_NDCG5
    assert found["ndcg@5"] >= english["ndcg@5"] - MAX_GAP_TO_ENGLISH
    assert found["violations"] == 0
    assert found["unmet_recall"] == 1.0
    assert found["unmet_false"] == 0


def test_every_translation_file_holds_every_dev_need_in_its_language():
    refs = {n["ref"] for n in _dev()["needs"]}
    for lang in ("en", *LANGUAGES):
        doc = json.loads((DATA / f"dev_needs_{lang}.json").read_text(encoding="utf-8"))
        assert set(doc["needs"]) == refs
        for version in doc["needs"].values():
            assert version["title"].strip()
            assert version["description"].strip()
