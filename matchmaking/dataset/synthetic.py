# The phrase tables hold Russian text: its Cyrillic letters are not look-alikes.
# ruff: noqa: RUF001
"""Synthetic ``cbm-dataset/1`` files of any size, for load and engine tests.

Everything comes from one ``random.Random(seed)`` and lists in a fixed order
(never a set), so a seed always gives byte-identical output. Records are written
one per line as they are made: memory stays bounded by the number of providers.

Only valid codes are used: countries from the M49 data (needs only from UN
member states), languages from the ISO 639-1 list, slugs from the taxonomy. The
text is built from topic phrases in English, French, Spanish, Portuguese,
Arabic and Russian, so text relevance has something to work with.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TextIO

from matchmaking.reference import (
    DATA_DIR,
    load_countries,
    load_languages,
    load_regions,
    load_taxonomy,
)

FORMAT = "cbm-dataset/1"
TEXT_LANGUAGES = ("en", "fr", "es", "pt", "ar", "ru")

# topic -> language -> (title, phrase, phrase): the title is a capitalised noun
# phrase; the phrases fit after "support for" / "appui concernant" / a colon.
TOPIC_TEXT: dict[str, dict[str, tuple[str, str, str]]] = {
    "national-strategy": {
        "en": (
            "National cybersecurity strategy",
            "drafting a national cybersecurity strategy",
            "a costed action plan for the strategy",
        ),
        "fr": (
            "Stratégie nationale de cybersécurité",
            "l'élaboration d'une stratégie nationale de cybersécurité",
            "un plan d'action chiffré pour la stratégie",
        ),
        "es": (
            "Estrategia nacional de ciberseguridad",
            "la elaboración de una estrategia nacional de ciberseguridad",
            "un plan de acción presupuestado para la estrategia",
        ),
        "pt": (
            "Estratégia nacional de cibersegurança",
            "a elaboração de uma estratégia nacional de cibersegurança",
            "um plano de ação orçamentado para a estratégia",
        ),
        "ar": (
            "الاستراتيجية الوطنية للأمن السيبراني",
            "إعداد استراتيجية وطنية للأمن السيبراني",
            "خطة عمل مموّلة لتنفيذ الاستراتيجية",
        ),
        "ru": (
            "Национальная стратегия кибербезопасности",
            "разработка национальной стратегии кибербезопасности",
            "план действий и бюджет для реализации стратегии",
        ),
    },
    "maturity-assessment": {
        "en": (
            "Cybersecurity maturity assessment",
            "an assessment of national cybersecurity capacity and maturity",
            "a baseline to prioritise reforms",
        ),
        "fr": (
            "Évaluation de la maturité en cybersécurité",
            "l'évaluation des capacités et de la maturité nationales en cybersécurité",
            "une base de référence pour prioriser les réformes",
        ),
        "es": (
            "Evaluación de madurez en ciberseguridad",
            "la evaluación de la capacidad y madurez nacional en ciberseguridad",
            "una línea de base para priorizar las reformas",
        ),
        "pt": (
            "Avaliação de maturidade em cibersegurança",
            "a avaliação da capacidade e maturidade nacional em cibersegurança",
            "uma linha de base para priorizar as reformas",
        ),
        "ar": (
            "تقييم النضج في مجال الأمن السيبراني",
            "تقييم القدرات الوطنية ومستوى النضج في الأمن السيبراني",
            "خط أساس لتحديد أولويات الإصلاح",
        ),
        "ru": (
            "Оценка зрелости в области кибербезопасности",
            "оценка национального потенциала и зрелости кибербезопасности",
            "базовый уровень для определения приоритетов реформ",
        ),
    },
    "governance-structures": {
        "en": (
            "Cybersecurity governance and coordination",
            "setting up a national cybersecurity agency",
            "coordination between ministries and agencies",
        ),
        "fr": (
            "Gouvernance et coordination de la cybersécurité",
            "la création d'une agence nationale de cybersécurité",
            "la coordination entre ministères et agences",
        ),
        "es": (
            "Gobernanza y coordinación de la ciberseguridad",
            "la creación de una agencia nacional de ciberseguridad",
            "la coordinación entre ministerios y agencias",
        ),
        "pt": (
            "Governação e coordenação da cibersegurança",
            "a criação de uma agência nacional de cibersegurança",
            "a coordenação entre ministérios e agências",
        ),
        "ar": (
            "حوكمة الأمن السيبراني والتنسيق الوطني",
            "إنشاء هيئة وطنية للأمن السيبراني",
            "التنسيق بين الوزارات والهيئات",
        ),
        "ru": (
            "Управление и координация в сфере кибербезопасности",
            "создание национального агентства по кибербезопасности",
            "координация между министерствами и ведомствами",
        ),
    },
    "cyber-diplomacy": {
        "en": (
            "Cyber diplomacy and norms",
            "implementing the norms of responsible state behaviour",
            "confidence-building measures and points of contact",
        ),
        "fr": (
            "Cyberdiplomatie et normes",
            "la mise en œuvre des normes de comportement responsable des États",
            "les mesures de confiance et les points de contact",
        ),
        "es": (
            "Ciberdiplomacia y normas",
            "la aplicación de las normas de comportamiento responsable de los Estados",
            "las medidas de fomento de la confianza y los puntos de contacto",
        ),
        "pt": (
            "Ciberdiplomacia e normas",
            "a aplicação das normas de comportamento responsável dos Estados",
            "as medidas de reforço da confiança e os pontos de contacto",
        ),
        "ar": (
            "الدبلوماسية السيبرانية والمعايير",
            "تنفيذ معايير السلوك المسؤول للدول",
            "تدابير بناء الثقة ونقاط الاتصال",
        ),
        "ru": (
            "Кибердипломатия и нормы",
            "применение норм ответственного поведения государств",
            "меры укрепления доверия и контактные пункты",
        ),
    },
    "data-protection": {
        "en": (
            "Data protection and privacy",
            "a personal data protection law",
            "an independent data protection authority",
        ),
        "fr": (
            "Protection des données personnelles",
            "une loi sur la protection des données personnelles",
            "une autorité de protection des données indépendante",
        ),
        "es": (
            "Protección de datos personales",
            "una ley de protección de datos personales",
            "una autoridad de protección de datos independiente",
        ),
        "pt": (
            "Proteção de dados pessoais",
            "uma lei de proteção de dados pessoais",
            "uma autoridade de proteção de dados independente",
        ),
        "ar": (
            "حماية البيانات الشخصية والخصوصية",
            "قانون لحماية البيانات الشخصية",
            "هيئة مستقلة لحماية البيانات",
        ),
        "ru": (
            "Защита персональных данных",
            "закон о защите персональных данных",
            "независимый орган по защите данных",
        ),
    },
    "csirt-establishment": {
        "en": (
            "National CSIRT",
            "establishing a national CSIRT",
            "the services and procedures of the incident response team",
        ),
        "fr": (
            "CSIRT national",
            "la création d'un CSIRT national",
            "les services et procédures de l'équipe de réponse aux incidents",
        ),
        "es": (
            "CSIRT nacional",
            "la creación de un CSIRT nacional",
            "los servicios y procedimientos del equipo de respuesta a incidentes",
        ),
        "pt": (
            "CSIRT nacional",
            "a criação de um CSIRT nacional",
            "os serviços e procedimentos da equipa de resposta a incidentes",
        ),
        "ar": (
            "الفريق الوطني للاستجابة للحوادث السيبرانية",
            "إنشاء فريق وطني للاستجابة للحوادث السيبرانية",
            "خدمات فريق الاستجابة للحوادث وإجراءاته",
        ),
        "ru": (
            "Национальная группа реагирования на инциденты",
            "создание национальной группы реагирования на компьютерные инциденты",
            "услуги и процедуры группы реагирования",
        ),
    },
    "incident-response": {
        "en": (
            "Incident response",
            "handling cyber incidents",
            "a national cyber crisis management plan",
        ),
        "fr": (
            "Réponse aux incidents",
            "le traitement des incidents informatiques",
            "un plan national de gestion des crises cyber",
        ),
        "es": (
            "Respuesta a incidentes",
            "la gestión de incidentes cibernéticos",
            "un plan nacional de gestión de crisis cibernéticas",
        ),
        "pt": (
            "Resposta a incidentes",
            "o tratamento de incidentes cibernéticos",
            "um plano nacional de gestão de crises cibernéticas",
        ),
        "ar": (
            "الاستجابة للحوادث السيبرانية",
            "معالجة الحوادث السيبرانية",
            "خطة وطنية لإدارة الأزمات السيبرانية",
        ),
        "ru": (
            "Реагирование на инциденты",
            "обработка компьютерных инцидентов",
            "национальный план управления киберкризисами",
        ),
    },
    "cyber-exercises": {
        "en": (
            "Cyber exercises",
            "a national cyber exercise",
            "tabletop and technical drills",
        ),
        "fr": (
            "Exercices cyber",
            "un exercice cyber national",
            "des exercices sur table et techniques",
        ),
        "es": (
            "Ejercicios cibernéticos",
            "un ejercicio cibernético nacional",
            "simulacros de mesa y técnicos",
        ),
        "pt": (
            "Exercícios cibernéticos",
            "um exercício cibernético nacional",
            "simulações de mesa e técnicas",
        ),
        "ar": (
            "التمارين السيبرانية",
            "تمرين سيبراني وطني",
            "تمارين محاكاة مكتبية وتقنية",
        ),
        "ru": (
            "Киберучения",
            "национальные киберучения",
            "штабные и технические учения",
        ),
    },
    "critical-infrastructure": {
        "en": (
            "Critical infrastructure protection",
            "protecting critical infrastructure such as energy and water",
            "security requirements for critical infrastructure operators",
        ),
        "fr": (
            "Protection des infrastructures critiques",
            "la protection des infrastructures critiques comme l'énergie et l'eau",
            "des exigences de sécurité pour les opérateurs d'importance vitale",
        ),
        "es": (
            "Protección de infraestructuras críticas",
            "la protección de infraestructuras críticas como la energía y el agua",
            "requisitos de seguridad para los operadores de infraestructuras",
        ),
        "pt": (
            "Proteção de infraestruturas críticas",
            "a proteção de infraestruturas críticas como a energia e a água",
            "requisitos de segurança para os operadores de infraestruturas",
        ),
        "ar": (
            "حماية البنى التحتية الحيوية",
            "حماية البنى التحتية الحيوية مثل الطاقة والمياه",
            "متطلبات أمنية لمشغلي البنى التحتية الحيوية",
        ),
        "ru": (
            "Защита критической инфраструктуры",
            "защита критической инфраструктуры, включая энергетику и водоснабжение",
            "требования безопасности для операторов критической инфраструктуры",
        ),
    },
    "threat-intelligence": {
        "en": (
            "Threat intelligence sharing",
            "threat intelligence and information sharing",
            "monitoring and early warning",
        ),
        "fr": (
            "Partage du renseignement sur les menaces",
            "le renseignement sur les menaces et le partage d'informations",
            "la veille et l'alerte précoce",
        ),
        "es": (
            "Inteligencia de amenazas",
            "la inteligencia de amenazas y el intercambio de información",
            "el monitoreo y la alerta temprana",
        ),
        "pt": (
            "Informações sobre ameaças",
            "as informações sobre ameaças e a partilha de informação",
            "a monitorização e o alerta precoce",
        ),
        "ar": (
            "تبادل معلومات التهديدات",
            "استخبارات التهديدات وتبادل المعلومات",
            "الرصد والإنذار المبكر",
        ),
        "ru": (
            "Обмен данными об угрозах",
            "анализ киберугроз и обмен информацией",
            "мониторинг и раннее предупреждение",
        ),
    },
    "cybercrime-legislation": {
        "en": (
            "Cybercrime legislation",
            "a cybercrime law in line with international standards",
            "procedural powers and safeguards for electronic evidence",
        ),
        "fr": (
            "Législation sur la cybercriminalité",
            "une loi sur la cybercriminalité conforme aux standards internationaux",
            "les pouvoirs procéduraux et garanties relatifs à la preuve électronique",
        ),
        "es": (
            "Legislación sobre ciberdelincuencia",
            "una ley sobre ciberdelincuencia acorde con las normas internacionales",
            "las facultades procesales y garantías sobre la prueba electrónica",
        ),
        "pt": (
            "Legislação sobre cibercrime",
            "uma lei sobre cibercrime conforme às normas internacionais",
            "os poderes processuais e garantias relativos à prova eletrónica",
        ),
        "ar": (
            "تشريعات مكافحة الجرائم الإلكترونية",
            "قانون لمكافحة الجرائم الإلكترونية يتوافق مع المعايير الدولية",
            "الصلاحيات الإجرائية والضمانات المتعلقة بالأدلة الإلكترونية",
        ),
        "ru": (
            "Законодательство о киберпреступности",
            "закон о киберпреступности в соответствии с международными стандартами",
            "процессуальные полномочия и гарантии для электронных доказательств",
        ),
    },
    "law-enforcement": {
        "en": (
            "Cybercrime investigation",
            "cybercrime investigation skills for the police",
            "a specialised cybercrime unit",
        ),
        "fr": (
            "Enquêtes sur la cybercriminalité",
            "les compétences d'enquête de la police sur la cybercriminalité",
            "une unité spécialisée de lutte contre la cybercriminalité",
        ),
        "es": (
            "Investigación de la ciberdelincuencia",
            "las capacidades de investigación policial de la ciberdelincuencia",
            "una unidad especializada en ciberdelincuencia",
        ),
        "pt": (
            "Investigação do cibercrime",
            "as capacidades de investigação policial do cibercrime",
            "uma unidade especializada em cibercrime",
        ),
        "ar": (
            "التحقيق في الجرائم الإلكترونية",
            "قدرات الشرطة على التحقيق في الجرائم الإلكترونية",
            "وحدة متخصصة في مكافحة الجرائم الإلكترونية",
        ),
        "ru": (
            "Расследование киберпреступлений",
            "навыки полиции по расследованию киберпреступлений",
            "специализированное подразделение по борьбе с киберпреступностью",
        ),
    },
    "digital-forensics": {
        "en": (
            "Digital forensics",
            "a digital forensics laboratory",
            "handling electronic evidence and the chain of custody",
        ),
        "fr": (
            "Criminalistique numérique",
            "un laboratoire de criminalistique numérique",
            "le traitement de la preuve électronique et la chaîne de conservation",
        ),
        "es": (
            "Informática forense",
            "un laboratorio de informática forense",
            "el manejo de la prueba electrónica y la cadena de custodia",
        ),
        "pt": (
            "Perícia digital",
            "um laboratório de perícia digital",
            "o tratamento da prova eletrónica e a cadeia de custódia",
        ),
        "ar": (
            "الأدلة الجنائية الرقمية",
            "مختبر للأدلة الجنائية الرقمية",
            "التعامل مع الأدلة الإلكترونية وسلسلة الحيازة",
        ),
        "ru": (
            "Цифровая криминалистика",
            "лаборатория цифровой криминалистики",
            "работа с электронными доказательствами и цепочка хранения",
        ),
    },
    "prosecution-judiciary": {
        "en": (
            "Judicial training on cybercrime",
            "training judges and prosecutors on cybercrime cases",
            "the admissibility of electronic evidence in court",
        ),
        "fr": (
            "Formation judiciaire sur la cybercriminalité",
            "la formation des juges et procureurs aux affaires de cybercriminalité",
            "la recevabilité de la preuve électronique devant les tribunaux",
        ),
        "es": (
            "Formación judicial en ciberdelincuencia",
            "la formación de jueces y fiscales en casos de ciberdelincuencia",
            "la admisibilidad de la prueba electrónica ante los tribunales",
        ),
        "pt": (
            "Formação judicial em cibercrime",
            "a formação de juízes e procuradores em casos de cibercrime",
            "a admissibilidade da prova eletrónica em tribunal",
        ),
        "ar": (
            "التدريب القضائي في مجال الجرائم الإلكترونية",
            "تدريب القضاة والمدعين العامين على قضايا الجرائم الإلكترونية",
            "قبول الأدلة الإلكترونية أمام المحاكم",
        ),
        "ru": (
            "Подготовка судей по делам о киберпреступлениях",
            "обучение судей и прокуроров ведению дел о киберпреступлениях",
            "допустимость электронных доказательств в суде",
        ),
    },
    "cybercrime-cooperation": {
        "en": (
            "International cooperation on cybercrime",
            "mutual legal assistance for electronic evidence",
            "a 24/7 point of contact",
        ),
        "fr": (
            "Coopération internationale contre la cybercriminalité",
            "l'entraide judiciaire pour la preuve électronique",
            "un point de contact 24/7",
        ),
        "es": (
            "Cooperación internacional contra la ciberdelincuencia",
            "la asistencia judicial recíproca para la prueba electrónica",
            "un punto de contacto 24/7",
        ),
        "pt": (
            "Cooperação internacional contra o cibercrime",
            "o auxílio judiciário mútuo para a prova eletrónica",
            "um ponto de contacto 24/7",
        ),
        "ar": (
            "التعاون الدولي لمكافحة الجرائم الإلكترونية",
            "المساعدة القانونية المتبادلة بشأن الأدلة الإلكترونية",
            "نقطة اتصال تعمل على مدار الساعة",
        ),
        "ru": (
            "Международное сотрудничество в борьбе с киберпреступностью",
            "взаимная правовая помощь в получении электронных доказательств",
            "круглосуточный контактный пункт 24/7",
        ),
    },
    "awareness": {
        "en": (
            "Cybersecurity awareness",
            "a national cybersecurity awareness campaign",
            "online safety messages for citizens",
        ),
        "fr": (
            "Sensibilisation à la cybersécurité",
            "une campagne nationale de sensibilisation à la cybersécurité",
            "des messages de sécurité en ligne pour les citoyens",
        ),
        "es": (
            "Concienciación en ciberseguridad",
            "una campaña nacional de concienciación en ciberseguridad",
            "mensajes de seguridad en línea para la ciudadanía",
        ),
        "pt": (
            "Sensibilização para a cibersegurança",
            "uma campanha nacional de sensibilização para a cibersegurança",
            "mensagens de segurança online para os cidadãos",
        ),
        "ar": (
            "التوعية بالأمن السيبراني",
            "حملة وطنية للتوعية بالأمن السيبراني",
            "رسائل السلامة على الإنترنت للمواطنين",
        ),
        "ru": (
            "Повышение осведомлённости о кибербезопасности",
            "национальная кампания по повышению осведомлённости о кибербезопасности",
            "информирование граждан о безопасности в интернете",
        ),
    },
    "education": {
        "en": (
            "Cybersecurity education",
            "cybersecurity curricula for schools and universities",
            "training teachers and lecturers",
        ),
        "fr": (
            "Enseignement de la cybersécurité",
            "des programmes d'enseignement de la cybersécurité",
            "la formation des enseignants",
        ),
        "es": (
            "Educación en ciberseguridad",
            "planes de estudio de ciberseguridad para escuelas y universidades",
            "la formación de docentes",
        ),
        "pt": (
            "Educação em cibersegurança",
            "currículos de cibersegurança para escolas e universidades",
            "a formação de professores",
        ),
        "ar": (
            "التعليم في مجال الأمن السيبراني",
            "مناهج الأمن السيبراني للمدارس والجامعات",
            "تدريب المعلمين والأساتذة",
        ),
        "ru": (
            "Образование в области кибербезопасности",
            "учебные программы по кибербезопасности для школ и вузов",
            "подготовка преподавателей",
        ),
    },
    "workforce-training": {
        "en": (
            "Cyber workforce development",
            "professional training and certification for security staff",
            "building a national cyber workforce",
        ),
        "fr": (
            "Développement des compétences cyber",
            "la formation professionnelle et la certification des spécialistes",
            "le développement d'une main-d'œuvre cyber nationale",
        ),
        "es": (
            "Desarrollo de talento en ciberseguridad",
            "la formación profesional y certificación de especialistas",
            "el desarrollo de una fuerza laboral nacional en ciberseguridad",
        ),
        "pt": (
            "Desenvolvimento de competências em cibersegurança",
            "a formação profissional e certificação de especialistas",
            "o desenvolvimento de uma força de trabalho nacional em cibersegurança",
        ),
        "ar": (
            "تنمية الكوادر في مجال الأمن السيبراني",
            "التدريب المهني والشهادات لمتخصصي الأمن",
            "بناء قوة عاملة وطنية في الأمن السيبراني",
        ),
        "ru": (
            "Подготовка кадров в сфере кибербезопасности",
            "профессиональное обучение и сертификация специалистов",
            "формирование национального кадрового резерва",
        ),
    },
    "gender-inclusion": {
        "en": (
            "Women in cybersecurity",
            "increasing the participation of women in cybersecurity",
            "mentoring and scholarships for women",
        ),
        "fr": (
            "Les femmes dans la cybersécurité",
            "la participation des femmes aux métiers de la cybersécurité",
            "le mentorat et les bourses pour les femmes",
        ),
        "es": (
            "Mujeres en ciberseguridad",
            "el aumento de la participación de las mujeres en ciberseguridad",
            "mentorías y becas para mujeres",
        ),
        "pt": (
            "Mulheres na cibersegurança",
            "o aumento da participação das mulheres na cibersegurança",
            "mentoria e bolsas para mulheres",
        ),
        "ar": (
            "المرأة في مجال الأمن السيبراني",
            "زيادة مشاركة المرأة في مجال الأمن السيبراني",
            "الإرشاد والمنح الدراسية للنساء",
        ),
        "ru": (
            "Женщины в кибербезопасности",
            "расширение участия женщин в сфере кибербезопасности",
            "наставничество и стипендии для женщин",
        ),
    },
    "digital-inclusion": {
        "en": (
            "Digital literacy and online safety",
            "digital literacy for rural communities",
            "protecting first-time internet users from scams",
        ),
        "fr": (
            "Littératie numérique et sécurité en ligne",
            "la littératie numérique des communautés rurales",
            "la protection des nouveaux internautes contre les arnaques",
        ),
        "es": (
            "Alfabetización digital y seguridad en línea",
            "la alfabetización digital de comunidades rurales",
            "la protección de nuevos usuarios de internet frente a estafas",
        ),
        "pt": (
            "Literacia digital e segurança online",
            "a literacia digital das comunidades rurais",
            "a proteção de novos utilizadores da internet contra burlas",
        ),
        "ar": (
            "محو الأمية الرقمية والسلامة على الإنترنت",
            "محو الأمية الرقمية في المجتمعات الريفية",
            "حماية المستخدمين الجدد للإنترنت من عمليات الاحتيال",
        ),
        "ru": (
            "Цифровая грамотность и безопасность в интернете",
            "цифровая грамотность в сельских сообществах",
            "защита новых пользователей интернета от мошенничества",
        ),
    },
    "security-standards": {
        "en": (
            "Security standards and controls",
            "adopting international security standards",
            "minimum security controls for public institutions",
        ),
        "fr": (
            "Normes et mesures de sécurité",
            "l'adoption de normes internationales de sécurité",
            "des mesures de sécurité minimales pour les institutions publiques",
        ),
        "es": (
            "Normas y controles de seguridad",
            "la adopción de normas internacionales de seguridad",
            "controles mínimos de seguridad para las instituciones públicas",
        ),
        "pt": (
            "Normas e controlos de segurança",
            "a adoção de normas internacionais de segurança",
            "controlos mínimos de segurança para as instituições públicas",
        ),
        "ar": (
            "معايير وضوابط الأمن",
            "اعتماد معايير الأمن الدولية",
            "الحد الأدنى من الضوابط الأمنية للمؤسسات العامة",
        ),
        "ru": (
            "Стандарты и меры безопасности",
            "внедрение международных стандартов безопасности",
            "минимальные требования безопасности для государственных органов",
        ),
    },
    "iot-security": {
        "en": (
            "IoT security",
            "security requirements for connected devices",
            "testing and certifying IoT products",
        ),
        "fr": (
            "Sécurité de l'internet des objets",
            "des exigences de sécurité pour les objets connectés",
            "l'évaluation et la certification des produits connectés",
        ),
        "es": (
            "Seguridad del internet de las cosas",
            "requisitos de seguridad para dispositivos conectados",
            "la evaluación y certificación de productos IoT",
        ),
        "pt": (
            "Segurança da internet das coisas",
            "requisitos de segurança para dispositivos conectados",
            "a avaliação e certificação de produtos IoT",
        ),
        "ar": (
            "أمن إنترنت الأشياء",
            "متطلبات أمنية للأجهزة المتصلة",
            "اختبار منتجات إنترنت الأشياء واعتمادها",
        ),
        "ru": (
            "Безопасность интернета вещей",
            "требования безопасности к подключённым устройствам",
            "испытания и сертификация устройств интернета вещей",
        ),
    },
    "internet-infrastructure": {
        "en": (
            "Internet infrastructure resilience",
            "the resilience of the national internet exchange point and DNS",
            "routing security for network operators",
        ),
        "fr": (
            "Résilience de l'infrastructure Internet",
            "la résilience du point d'échange Internet et du DNS national",
            "la sécurité du routage pour les opérateurs de réseaux",
        ),
        "es": (
            "Resiliencia de la infraestructura de internet",
            "la resiliencia del punto de intercambio de tráfico y del DNS nacional",
            "la seguridad del enrutamiento para los operadores de red",
        ),
        "pt": (
            "Resiliência da infraestrutura da internet",
            "a resiliência do ponto de troca de tráfego e do DNS nacional",
            "a segurança do encaminhamento para os operadores de rede",
        ),
        "ar": (
            "مرونة البنية التحتية للإنترنت",
            "مرونة نقطة تبادل الإنترنت ونظام أسماء النطاقات الوطني",
            "أمن التوجيه لمشغلي الشبكات",
        ),
        "ru": (
            "Устойчивость интернет-инфраструктуры",
            "устойчивость национальной точки обмена трафиком и DNS",
            "безопасность маршрутизации для операторов связи",
        ),
    },
    "secure-software": {
        "en": (
            "Secure software development",
            "secure development practices for government software",
            "a coordinated vulnerability disclosure policy",
        ),
        "fr": (
            "Développement logiciel sécurisé",
            "les pratiques de développement sécurisé des logiciels publics",
            "une politique de divulgation coordonnée des vulnérabilités",
        ),
        "es": (
            "Desarrollo seguro de software",
            "prácticas de desarrollo seguro para el software del gobierno",
            "una política de divulgación coordinada de vulnerabilidades",
        ),
        "pt": (
            "Desenvolvimento seguro de software",
            "práticas de desenvolvimento seguro para o software do governo",
            "uma política de divulgação coordenada de vulnerabilidades",
        ),
        "ar": (
            "التطوير الآمن للبرمجيات",
            "ممارسات التطوير الآمن للبرمجيات الحكومية",
            "سياسة للإفصاح المنسق عن الثغرات",
        ),
        "ru": (
            "Безопасная разработка программного обеспечения",
            "практики безопасной разработки государственного ПО",
            "политика скоординированного раскрытия уязвимостей",
        ),
    },
    "cloud-security": {
        "en": (
            "Cloud and e-government security",
            "securing e-government platforms",
            "secure government cloud hosting and backups",
        ),
        "fr": (
            "Sécurité du cloud et de l'administration en ligne",
            "la sécurisation des plateformes d'administration en ligne",
            "l'hébergement en nuage sécurisé et les sauvegardes de l'État",
        ),
        "es": (
            "Seguridad en la nube y del gobierno digital",
            "la seguridad de las plataformas de gobierno digital",
            "el alojamiento seguro en la nube y las copias de seguridad del Estado",
        ),
        "pt": (
            "Segurança da nuvem e do governo eletrónico",
            "a segurança das plataformas de governo eletrónico",
            "o alojamento seguro na nuvem e as cópias de segurança do Estado",
        ),
        "ar": (
            "أمن الحوسبة السحابية والحكومة الإلكترونية",
            "تأمين منصات الحكومة الإلكترونية",
            "الاستضافة السحابية الآمنة والنسخ الاحتياطي للبيانات الحكومية",
        ),
        "ru": (
            "Безопасность облачных сервисов и электронного правительства",
            "защита платформ электронного правительства",
            "безопасное облачное размещение и резервное копирование данных",
        ),
    },
}

_AUDIENCES = (
    "policymakers",
    "diplomats",
    "csirt-staff",
    "ci-operators",
    "regulators",
    "law-enforcement",
    "judiciary",
    "legislators",
    "educators",
    "students-youth",
    "women",
    "smes",
    "civil-society",
    "general-public",
)
AUDIENCE_TEXT: dict[str, dict[str, str]] = {
    lang: dict(zip(_AUDIENCES, names, strict=True))
    for lang, names in {
        "en": (
            "policymakers",
            "diplomats",
            "CSIRT analysts",
            "critical infrastructure operators",
            "regulators",
            "police investigators",
            "prosecutors and judges",
            "legislative drafters",
            "teachers and lecturers",
            "students and young people",
            "women professionals",
            "small businesses",
            "civil society organisations",
            "the general public",
        ),
        "fr": (
            "décideurs",
            "diplomates",
            "analystes du CSIRT",
            "opérateurs d'infrastructures critiques",
            "régulateurs",
            "enquêteurs de police",
            "procureurs et juges",
            "légistes",
            "enseignants",
            "étudiants et jeunes",
            "femmes professionnelles",
            "petites entreprises",
            "organisations de la société civile",
            "grand public",
        ),
        "es": (
            "responsables políticos",
            "diplomáticos",
            "analistas del CSIRT",
            "operadores de infraestructuras críticas",
            "reguladores",
            "investigadores policiales",
            "fiscales y jueces",
            "redactores legislativos",
            "docentes",
            "estudiantes y jóvenes",
            "mujeres profesionales",
            "pequeñas empresas",
            "organizaciones de la sociedad civil",
            "público en general",
        ),
        "pt": (
            "decisores políticos",
            "diplomatas",
            "analistas do CSIRT",
            "operadores de infraestruturas críticas",
            "reguladores",
            "investigadores policiais",
            "procuradores e juízes",
            "redatores legislativos",
            "professores",
            "estudantes e jovens",
            "mulheres profissionais",
            "pequenas empresas",
            "organizações da sociedade civil",
            "público em geral",
        ),
        "ar": (
            "صناع القرار",
            "الدبلوماسيون",
            "محللو فريق الاستجابة للحوادث",
            "مشغلو البنى التحتية الحيوية",
            "الجهات التنظيمية",
            "محققو الشرطة",
            "المدعون العامون والقضاة",
            "محررو التشريعات",
            "المعلمون والأساتذة",
            "الطلاب والشباب",
            "النساء العاملات في المجال",
            "المؤسسات الصغيرة",
            "منظمات المجتمع المدني",
            "عامة الجمهور",
        ),
        "ru": (
            "руководители",
            "дипломаты",
            "аналитики CSIRT",
            "операторы критической инфраструктуры",
            "регуляторы",
            "следователи полиции",
            "прокуроры и судьи",
            "разработчики законопроектов",
            "преподаватели",
            "студенты и молодёжь",
            "женщины-специалисты",
            "малые предприятия",
            "организации гражданского общества",
            "широкая общественность",
        ),
    }.items()
}

_ASSISTANCE = (
    "policy-advice",
    "legislative-drafting",
    "technical-assistance",
    "training",
    "exercises",
    "assessment",
    "mentoring",
    "funding",
    "tools-equipment",
    "knowledge-products",
    "fellowships",
)
ASSISTANCE_TEXT: dict[str, dict[str, str]] = {
    lang: dict(zip(_ASSISTANCE, names, strict=True))
    for lang, names in {
        "en": (
            "policy advice",
            "legislative drafting support",
            "technical assistance",
            "training courses",
            "exercises",
            "an assessment",
            "expert mentoring",
            "funding",
            "tools and equipment",
            "toolkits and guidance",
            "fellowships",
        ),
        "fr": (
            "conseil stratégique",
            "appui à la rédaction législative",
            "assistance technique",
            "formations",
            "exercices",
            "évaluation",
            "mentorat",
            "financement",
            "outils et équipements",
            "guides pratiques",
            "bourses",
        ),
        "es": (
            "asesoría en políticas",
            "apoyo en redacción legislativa",
            "asistencia técnica",
            "cursos de formación",
            "ejercicios",
            "evaluación",
            "mentoría",
            "financiación",
            "herramientas y equipos",
            "guías prácticas",
            "becas",
        ),
        "pt": (
            "aconselhamento político",
            "apoio à redação legislativa",
            "assistência técnica",
            "cursos de formação",
            "exercícios",
            "avaliação",
            "mentoria",
            "financiamento",
            "ferramentas e equipamentos",
            "guias práticos",
            "bolsas",
        ),
        "ar": (
            "المشورة في السياسات",
            "الدعم في صياغة التشريعات",
            "المساعدة التقنية",
            "الدورات التدريبية",
            "التمارين",
            "التقييم",
            "الإرشاد",
            "التمويل",
            "الأدوات والمعدات",
            "الأدلة العملية",
            "المنح الدراسية",
        ),
        "ru": (
            "консультации по вопросам политики",
            "помощь в подготовке законопроектов",
            "техническая помощь",
            "учебные курсы",
            "учения",
            "оценка",
            "наставничество",
            "финансирование",
            "инструменты и оборудование",
            "методические материалы",
            "стипендии",
        ),
    }.items()
}

MODE_TEXT: dict[str, dict[str, str]] = {
    "en": {"in-person": "in person", "online": "online", "hybrid": "in hybrid form"},
    "fr": {"in-person": "en présentiel", "online": "en ligne", "hybrid": "en hybride"},
    "es": {"in-person": "presencial", "online": "en línea", "hybrid": "híbrido"},
    "pt": {"in-person": "presencial", "online": "online", "hybrid": "híbrido"},
    "ar": {"in-person": "حضورياً", "online": "عن بُعد", "hybrid": "بصيغة هجينة"},
    "ru": {"in-person": "очно", "online": "дистанционно", "hybrid": "смешанный"},
}

# "and" between the last two items of a list, per language.
_AND = {"en": " and ", "fr": " et ", "es": " y ", "pt": " e ", "ar": " و", "ru": " и "}
_COMMA = {"ar": "، "}


@dataclass(frozen=True)
class _Templates:
    need_title: tuple[str, ...]
    need_open: tuple[str, ...]
    context: tuple[str, ...]
    need_ask: tuple[str, ...]
    prog_title: tuple[str, ...]
    prog_summary: tuple[str, ...]
    prog_open: tuple[str, ...]
    prog_detail: tuple[str, ...]
    prog_ask: tuple[str, ...]


TEMPLATES: dict[str, _Templates] = {
    "en": _Templates(
        need_title=("{T}", "Support for {p1}", "{T} for {aud1}"),
        need_open=(
            "The government of {C} is seeking support for {p1} and {p2}.",
            "{C} requests assistance with {p1}, including {p2}.",
            "Our national authorities need help with {p1} and {p2}.",
        ),
        context=(
            "Existing capacity is limited and depends on a handful of staff.",
            "A recent incident exposed gaps that need to be closed quickly.",
            "This is a priority of the national digital transformation agenda.",
            "Several institutions are involved and coordination between them is weak.",
            "Earlier donor support has ended and its results need to be sustained.",
        ),
        need_ask=(
            "We are looking for {assist} for {aud}, delivered {mode}.",
            "The support should include {assist} and reach {aud}; we prefer it {mode}.",
        ),
        prog_title=("{T} programme", "{T}: {assist1}", "Regional initiative: {T}"),
        prog_summary=(
            "{Assist1} on {p1}.",
            "Supports countries with {p1} and {p2}.",
        ),
        prog_open=(
            "{P} offers {assist} on {p1} and {p2}.",
            "The programme supports beneficiary countries with {p1}, including {p2}.",
        ),
        prog_detail=(
            "Activities are tailored to each country after an initial consultation.",
            "Each engagement ends with a report and concrete recommendations.",
            "Local partners co-deliver the activities to make results last.",
            "Experts from peer countries contribute to every activity.",
            "Participants join a community of practice after the programme.",
        ),
        prog_ask=("It is designed for {aud} and delivered {mode}.",),
    ),
    "fr": _Templates(
        need_title=("{T}", "Appui : {T}"),
        need_open=(
            "{C} : le gouvernement sollicite un appui concernant {p1} ainsi que {p2}.",
            "{C} : nos autorités souhaitent être accompagnées pour {p1} et {p2}.",
        ),
        context=(
            "Les capacités actuelles sont limitées et reposent sur quelques agents.",
            "Un incident récent a révélé des lacunes qu'il faut combler rapidement.",
            "C'est une priorité de la stratégie nationale de transformation numérique.",
            "Plusieurs institutions sont concernées et leur coordination est faible.",
            "Un appui antérieur des bailleurs a pris fin et ses acquis doivent être "
            "consolidés.",
        ),
        need_ask=(
            "Nous recherchons : {assist}. Public visé : {aud}. Modalité : {mode}.",
        ),
        prog_title=("{T}", "Programme : {T}", "Initiative régionale : {T}"),
        prog_summary=("Appui aux pays concernant {p1} et {p2}.",),
        prog_open=(
            "{P} propose : {assist}. Thèmes : {p1} ; {p2}.",
            "Le programme accompagne les pays bénéficiaires pour {p1} et {p2}.",
        ),
        prog_detail=(
            "Les activités sont adaptées à chaque pays après une consultation "
            "initiale.",
            "Chaque intervention se conclut par un rapport et des recommandations "
            "concrètes.",
            "Des partenaires locaux co-animent les activités pour en assurer la "
            "durabilité.",
        ),
        prog_ask=("Public visé : {aud}. Modalité : {mode}.",),
    ),
    "es": _Templates(
        need_title=("{T}", "Apoyo: {T}"),
        need_open=(
            "{C}: el gobierno solicita apoyo en {p1} y {p2}.",
            "{C}: nuestras autoridades necesitan acompañamiento en {p1} y {p2}.",
        ),
        context=(
            "La capacidad actual es limitada y depende de pocas personas.",
            "Un incidente reciente reveló brechas que deben cerrarse con rapidez.",
            "Es una prioridad de la agenda nacional de transformación digital.",
            "Participan varias instituciones y la coordinación entre ellas es débil.",
            "El apoyo anterior de los donantes terminó y sus resultados deben "
            "consolidarse.",
        ),
        need_ask=("Buscamos: {assist}. Destinatarios: {aud}. Modalidad: {mode}.",),
        prog_title=("{T}", "Programa: {T}", "Iniciativa regional: {T}"),
        prog_summary=("Apoyo a los países en {p1} y {p2}.",),
        prog_open=(
            "{P} ofrece: {assist}. Temas: {p1}; {p2}.",
            "El programa acompaña a los países beneficiarios en {p1} y {p2}.",
        ),
        prog_detail=(
            "Las actividades se adaptan a cada país tras una consulta inicial.",
            "Cada intervención concluye con un informe y recomendaciones concretas.",
            "Socios locales co-organizan las actividades para asegurar su "
            "sostenibilidad.",
        ),
        prog_ask=("Destinatarios: {aud}. Modalidad: {mode}.",),
    ),
    "pt": _Templates(
        need_title=("{T}", "Apoio: {T}"),
        need_open=(
            "{C}: o governo solicita apoio para {p1} e {p2}.",
            "{C}: as nossas autoridades precisam de acompanhamento para {p1} e {p2}.",
        ),
        context=(
            "A capacidade atual é limitada e depende de poucos técnicos.",
            "Um incidente recente revelou lacunas que devem ser colmatadas "
            "rapidamente.",
            "É uma prioridade da agenda nacional de transformação digital.",
            "Várias instituições estão envolvidas e a coordenação entre elas é fraca.",
            "O apoio anterior dos doadores terminou e os seus resultados devem ser "
            "consolidados.",
        ),
        need_ask=("Procuramos: {assist}. Público-alvo: {aud}. Modalidade: {mode}.",),
        prog_title=("{T}", "Programa: {T}", "Iniciativa regional: {T}"),
        prog_summary=("Apoio aos países para {p1} e {p2}.",),
        prog_open=(
            "{P} oferece: {assist}. Temas: {p1}; {p2}.",
            "O programa acompanha os países beneficiários para {p1} e {p2}.",
        ),
        prog_detail=(
            "As atividades são adaptadas a cada país após uma consulta inicial.",
            "Cada intervenção termina com um relatório e recomendações concretas.",
            "Parceiros locais co-organizam as atividades para garantir a sua "
            "sustentabilidade.",
        ),
        prog_ask=("Público-alvo: {aud}. Modalidade: {mode}.",),
    ),
    "ar": _Templates(
        need_title=("{T}", "دعم في مجال {p1}"),
        need_open=(
            "{C}: تطلب الحكومة دعماً في مجال {p1} و{p2}.",
            "{C}: تحتاج السلطات الوطنية إلى مساعدة في {p1}، بما في ذلك {p2}.",
        ),
        context=(
            "القدرات الحالية محدودة وتعتمد على عدد قليل من الموظفين.",
            "كشف حادث وقع مؤخراً عن ثغرات يجب سدها بسرعة.",
            "يمثل هذا الموضوع أولوية في برنامج التحول الرقمي الوطني.",
            "تشارك عدة مؤسسات في هذا المجال والتنسيق بينها ضعيف.",
            "انتهى دعم سابق من المانحين ويجب الحفاظ على نتائجه.",
        ),
        need_ask=(
            "نبحث عن: {assist}. الفئات المستهدفة: {aud}. طريقة التنفيذ: {mode}.",
        ),
        prog_title=("{T}", "برنامج: {T}", "مبادرة إقليمية: {T}"),
        prog_summary=("دعم البلدان في مجال {p1} و{p2}.",),
        prog_open=(
            "يقدم {P}: {assist}. مجالات العمل: {p1}؛ {p2}.",
            "يدعم البرنامج البلدان المستفيدة في {p1} و{p2}.",
        ),
        prog_detail=(
            "تُكيَّف الأنشطة مع احتياجات كل بلد بعد مشاورة أولية.",
            "ينتهي كل تدخل بتقرير وتوصيات عملية.",
            "يشارك شركاء محليون في تنفيذ الأنشطة لضمان استدامتها.",
        ),
        prog_ask=("الفئات المستهدفة: {aud}. طريقة التنفيذ: {mode}.",),
    ),
    "ru": _Templates(
        need_title=("{T}", "Поддержка: {p1}"),
        need_open=(
            "{C}: требуется поддержка по следующим направлениям: {p1}; {p2}.",
            "{C}: национальным органам необходима помощь: {p1}; {p2}.",
        ),
        context=(
            "Существующий потенциал ограничен и зависит от нескольких сотрудников.",
            "Недавний инцидент выявил пробелы, которые необходимо быстро устранить.",
            "Это направление является приоритетом национальной программы цифровой "
            "трансформации.",
            "В работе участвуют несколько ведомств, и координация между ними слабая.",
            "Предыдущая донорская поддержка завершилась, и её результаты нужно "
            "закрепить.",
        ),
        need_ask=(
            "Требуемые формы помощи: {assist}. Целевая аудитория: {aud}. "
            "Формат: {mode}.",
        ),
        prog_title=("{T}", "Программа: {p1}", "Региональная инициатива: {T}"),
        prog_summary=("Поддержка стран по направлению «{T}».",),
        prog_open=(
            "{P} предлагает: {assist}. Направления работы: {p1}; {p2}.",
            "Программа помогает странам-бенефициарам: {p1}; {p2}.",
        ),
        prog_detail=(
            "Мероприятия адаптируются к потребностям каждой страны после первичной "
            "консультации.",
            "Каждый проект завершается отчётом с практическими рекомендациями.",
            "Местные партнёры участвуют в проведении мероприятий для обеспечения "
            "устойчивости.",
        ),
        prog_ask=("Целевая аудитория: {aud}. Формат: {mode}.",),
    ),
}

# Likely assistance types and audiences per topic, so tags hang together.
TOPIC_PROFILE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "national-strategy": (
        ("policy-advice", "assessment", "mentoring"),
        ("policymakers",),
    ),
    "maturity-assessment": (("assessment", "knowledge-products"), ("policymakers",)),
    "governance-structures": (
        ("policy-advice", "mentoring"),
        ("policymakers", "regulators"),
    ),
    "cyber-diplomacy": (("training", "fellowships"), ("diplomats", "policymakers")),
    "data-protection": (
        ("legislative-drafting", "policy-advice", "training"),
        ("regulators", "legislators"),
    ),
    "csirt-establishment": (
        ("technical-assistance", "mentoring", "tools-equipment"),
        ("csirt-staff", "policymakers"),
    ),
    "incident-response": (("training", "technical-assistance"), ("csirt-staff",)),
    "cyber-exercises": (("exercises", "training"), ("csirt-staff", "ci-operators")),
    "critical-infrastructure": (
        ("assessment", "technical-assistance", "policy-advice"),
        ("ci-operators", "regulators"),
    ),
    "threat-intelligence": (("tools-equipment", "training"), ("csirt-staff",)),
    "cybercrime-legislation": (
        ("legislative-drafting", "policy-advice"),
        ("legislators", "policymakers"),
    ),
    "law-enforcement": (("training", "mentoring"), ("law-enforcement",)),
    "digital-forensics": (
        ("tools-equipment", "training"),
        ("law-enforcement", "judiciary"),
    ),
    "prosecution-judiciary": (("training", "knowledge-products"), ("judiciary",)),
    "cybercrime-cooperation": (
        ("training", "policy-advice"),
        ("law-enforcement", "judiciary"),
    ),
    "awareness": (
        ("knowledge-products", "training"),
        ("general-public", "smes", "civil-society"),
    ),
    "education": (
        ("knowledge-products", "training", "fellowships"),
        ("educators", "students-youth"),
    ),
    "workforce-training": (
        ("training", "fellowships"),
        ("students-youth", "csirt-staff"),
    ),
    "gender-inclusion": (("mentoring", "fellowships"), ("women", "students-youth")),
    "digital-inclusion": (("training",), ("general-public", "women")),
    "security-standards": (
        ("technical-assistance", "training"),
        ("regulators", "smes", "ci-operators"),
    ),
    "iot-security": (
        ("policy-advice", "technical-assistance"),
        ("regulators", "smes"),
    ),
    "internet-infrastructure": (
        ("technical-assistance", "training", "tools-equipment"),
        ("ci-operators", "regulators"),
    ),
    "secure-software": (("training", "knowledge-products"), ("smes", "csirt-staff")),
    "cloud-security": (
        ("technical-assistance", "tools-equipment"),
        ("csirt-staff", "policymakers"),
    ),
}

GROUPS = (
    ("government", 30),
    ("intergovernmental", 12),
    ("private-sector", 22),
    ("civil-society", 14),
    ("academia", 12),
    ("technical-community", 10),
)
_GOV_BODIES = (
    "National Cyber Security Agency",
    "Cyber Capacity Office",
    "Digital Cooperation Agency",
    "International Cyber Programme",
)
_IGO_BODIES = (
    "Cyber Cooperation Centre",
    "Digital Security Commission",
    "Cyber Capacity Facility",
)
_BRANDS = (
    "Aster",
    "Boreal",
    "Cobalt",
    "Delta",
    "Ember",
    "Fathom",
    "Granite",
    "Helix",
    "Indigo",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nova",
    "Onyx",
    "Pylon",
    "Quartz",
    "Rampart",
    "Sable",
    "Tidal",
    "Umbra",
    "Vertex",
    "Wren",
    "Zephyr",
)
_COMPANY_KINDS = ("Security", "Cyber", "Networks", "Labs", "Systems", "Cloud")
_CSO_WORDS = ("Open", "Safe", "Digital", "Civic", "Inclusive", "Secure")
_CSO_KINDS = (
    "Digital Rights Network",
    "Online Safety Foundation",
    "Cyber Inclusion Alliance",
)
_TECH_KINDS = (
    "Network Operators Group",
    "CERT Community",
    "Internet Resilience Forum",
)
_GROUP_DESCRIPTIONS = {
    "government": "A government body that funds and delivers cyber capacity "
    "building with partner countries.",
    "intergovernmental": "An intergovernmental body supporting its member states "
    "with cyber capacity building.",
    "private-sector": "A company that runs capacity-building programmes for "
    "governments and businesses.",
    "civil-society": "A non-profit organisation working on digital safety, rights "
    "and inclusion.",
    "academia": "A university centre for cybersecurity research and education.",
    "technical-community": "A technical community of operators and responders "
    "sharing expertise.",
}

# Richer economies post few needs: they are mostly providers.
_FEW_NEEDS_SUBREGIONS = frozenset({"021", "053", "154", "155"})
_FEW_NEEDS_COUNTRIES = frozenset(
    {"JPN", "KOR", "SGP", "ISR", "ITA", "ESP", "PRT", "GRC", "MLT", "CYP", "SVN"}
    | {"AND", "SMR", "MCO", "LIE", "CZE", "ARE", "QAT", "KWT", "BHR", "SAU", "BRN"}
)
# country-codes.csv lists Russian for many former Soviet states; the data uses
# it only where it is an official or working language of government.
_RUSSIAN_SPEAKING = frozenset({"RUS", "BLR", "KAZ", "KGZ", "TJK", "TKM", "UZB"})
_START = dt.date(2024, 1, 1)
_NEEDED_FROM = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class _Country:
    iso3: str
    region_codes: tuple[str, ...]
    primary: str  # the text language
    languages: tuple[str, ...]  # valid ISO 639-1 codes, primary first
    names: dict[str, str]
    is_ldc: bool
    is_sids: bool
    weight: float


@dataclass(frozen=True)
class _World:
    """Reference data prepared for generation, in a fixed order."""

    members: tuple[_Country, ...]
    member_weights: tuple[float, ...]  # cumulative
    by_region: dict[str, tuple[_Country, ...]]
    region_codes: tuple[str, ...]
    target_regions: tuple[str, ...]  # where programmes target regions or countries
    region_names: dict[str, str]
    region_languages: dict[str, tuple[str, ...]]
    topics: tuple[str, ...]
    topics_by_theme: tuple[tuple[str, ...], ...]
    capitals: dict[str, str]


def _country_languages() -> dict[str, tuple[list[str], str]]:
    """Per iso3: its languages in country-codes.csv order, and its capital."""
    with (DATA_DIR / "country-codes.csv").open(encoding="utf-8-sig") as f:
        return {
            row["ISO3166-1-Alpha-3"]: (
                [code.split("-")[0] for code in row["Languages"].split(",") if code],
                row["Capital"],
            )
            for row in csv.DictReader(f)
            if row["ISO3166-1-Alpha-3"]
        }


@cache
def _world() -> _World:
    valid_languages = {code for code, _name in load_languages()}
    extra = _country_languages()
    members: list[_Country] = []
    capitals: dict[str, str] = {}
    for row in sorted(load_countries().values(), key=lambda c: c.iso3):
        listed, capital = extra.get(row.iso3, ([], ""))
        capitals[row.iso3] = capital
        if not row.is_un_member:
            continue
        codes = [
            c
            for c in dict.fromkeys(listed)
            if c in valid_languages and (c != "ru" or row.iso3 in _RUSSIAN_SPEAKING)
        ]
        primary = next((c for c in codes if c in TEXT_LANGUAGES), "en")
        languages = (primary, *(c for c in codes if c != primary))
        weight = 1.0
        if row.subregion in _FEW_NEEDS_SUBREGIONS or row.iso3 in _FEW_NEEDS_COUNTRIES:
            weight = 0.1
        elif row.is_ldc or row.is_sids:
            weight = 2.0
        members.append(
            _Country(
                iso3=row.iso3,
                region_codes=tuple(sorted(row.region_codes)),
                primary=primary,
                languages=languages,
                names={**row.names, "pt": row.names["es"]},
                is_ldc=row.is_ldc,
                is_sids=row.is_sids,
                weight=weight,
            )
        )
    by_region: dict[str, list[_Country]] = {}
    for country in members:
        for code in country.region_codes:
            by_region.setdefault(code, []).append(country)
    region_languages = {}
    for code, countries in by_region.items():
        counts = Counter(c.primary for c in countries)
        share = len(countries) / 5  # a language of a fifth of the region or more
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        region_languages[code] = tuple(
            lang for lang, n in top if n >= share or lang == top[0][0]
        )
    taxonomy = load_taxonomy()
    regions = load_regions()
    return _World(
        members=tuple(members),
        member_weights=tuple(itertools.accumulate(c.weight for c in members)),
        by_region={code: tuple(cs) for code, cs in sorted(by_region.items())},
        region_codes=tuple(sorted(by_region)),
        target_regions=tuple(
            code for code in sorted(by_region) if code not in _FEW_NEEDS_SUBREGIONS
        ),
        region_names={r.code: r.names["en"] for r in regions},
        region_languages=region_languages,
        topics=tuple(t["slug"] for th in taxonomy["themes"] for t in th["topics"]),
        topics_by_theme=tuple(
            tuple(t["slug"] for t in th["topics"]) for th in taxonomy["themes"]
        ),
        capitals=capitals,
    )


@dataclass(frozen=True)
class _Provider:
    ref: str
    name: str
    group: str


def _join(items: Sequence[str], lang: str) -> str:
    if len(items) < 2:
        return "".join(items)
    comma = _COMMA.get(lang, ", ")
    return comma.join(items[:-1]) + _AND[lang] + items[-1]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Generator:
    def __init__(self, seed: int) -> None:
        # Not for security: a reproducible stream is the point.
        self.rng = random.Random(seed)  # noqa: S311
        self.random = self.rng.random
        self.world = _world()

    # random.choice and randrange draw bits in a loop; one float is faster.
    def choice[T](self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def day(self, start: dt.date, span_days: int) -> dt.date:
        return start + dt.timedelta(days=self.randrange(span_days))

    # --- tags ---

    def topics(self) -> list[str]:
        rng = self.rng
        theme = self.choice(self.world.topics_by_theme)
        chosen = rng.sample(theme, self.choice((1, 1, 2, 2, 2, 3)))
        if rng.random() < 0.2:
            other = self.choice(self.world.topics)
            if other not in chosen:
                chosen.append(other)
        return chosen

    def tags(self, topics: Sequence[str]) -> tuple[list[str], list[str]]:
        """Assistance types and audiences, mostly from the topics' profiles."""
        rng = self.rng
        assistance: list[str] = []
        audiences: list[str] = []
        for topic in topics:
            likely_assistance, likely_audiences = TOPIC_PROFILE[topic]
            assistance.append(self.choice(likely_assistance))
            audiences.append(self.choice(likely_audiences))
        if rng.random() < 0.3:
            assistance.append(self.choice(_ASSISTANCE))
        if rng.random() < 0.2:
            audiences.append(self.choice(_AUDIENCES))
        return list(dict.fromkeys(assistance)), list(dict.fromkeys(audiences))

    def modes(self) -> list[str]:
        return self.choice(
            (
                ["in-person"],
                ["online"],
                ["hybrid"],
                ["in-person", "hybrid"],
                ["online", "hybrid"],
                ["in-person", "online"],
            )
        )

    # --- text ---

    def text(
        self,
        lang: str,
        topics: Sequence[str],
        assistance: Sequence[str],
        audiences: Sequence[str],
        modes: Sequence[str],
    ) -> dict[str, str]:
        """The values every template may use, in one language."""
        first = TOPIC_TEXT[topics[0]][lang]
        pick = self.randrange(1, 3)
        if len(topics) > 1:
            p2 = TOPIC_TEXT[topics[-1]][lang][self.randrange(1, 3)]
        else:
            p2 = first[3 - pick]  # the topic's other phrase
        assist = [ASSISTANCE_TEXT[lang][a] for a in assistance] or [
            ASSISTANCE_TEXT[lang]["technical-assistance"]
        ]
        aud = [AUDIENCE_TEXT[lang][a] for a in audiences] or [
            AUDIENCE_TEXT[lang]["policymakers"]
        ]
        return {
            "T": first[0],
            "p1": first[pick],
            "p2": p2,
            "assist": _join(assist, lang),
            "assist1": assist[0],
            "Assist1": _capitalise(assist[0]),
            "aud": _join(aud, lang),
            "aud1": aud[0],
            "mode": _join([MODE_TEXT[lang][m] for m in modes], lang),
        }

    def pick(self, options: Sequence[str], values: dict[str, str]) -> str:
        return _capitalise(self.choice(options).format(**values))

    # --- records ---

    def provider(self, index: int) -> tuple[_Provider, dict]:
        rng = self.rng
        world = self.world
        group = rng.choices(
            [g for g, _w in GROUPS],
            cum_weights=list(itertools.accumulate(w for _g, w in GROUPS)),
        )[0]
        country = self.choice(world.members)
        region = self.choice(world.region_codes)
        if group == "government":
            name = f"{country.names['en']} {self.choice(_GOV_BODIES)}"
        elif group == "intergovernmental":
            name = f"{world.region_names[region]} {self.choice(_IGO_BODIES)}"
        elif group == "private-sector":
            name = f"{self.choice(_BRANDS)} {self.choice(_COMPANY_KINDS)}"
        elif group == "civil-society":
            name = f"{self.choice(_CSO_WORDS)} {self.choice(_CSO_KINDS)}"
        elif group == "academia":
            city = world.capitals.get(country.iso3) or country.names["en"]
            name = f"University of {city} Centre for Cybersecurity"
        else:
            name = f"{world.region_names[region]} {self.choice(_TECH_KINDS)}"
        ref = f"syn-prov-{index:06d}"
        record = {
            "ref": ref,
            "name": name,
            "stakeholder_group": group,
            "country": country.iso3,
            "website": f"https://{ref}.example.org",
            "description": _GROUP_DESCRIPTIONS[group],
        }
        return _Provider(ref=ref, name=name, group=group), record

    def eligibility(self) -> tuple[dict, list[str]]:
        """Eligibility and the languages that suit the countries it targets."""
        rng = self.rng
        world = self.world
        roll = rng.random()
        regions: list[str] = []
        countries: list[str] = []
        ldc = sids = False
        if roll < 0.35:
            languages = ["en", *rng.sample(TEXT_LANGUAGES[1:], self.randrange(4))]
        elif roll < 0.75:
            regions = sorted(
                rng.sample(world.target_regions, self.choice((1, 1, 1, 2)))
            )
            languages = list(
                dict.fromkeys(
                    lang for code in regions for lang in world.region_languages[code]
                )
            )
        elif roll < 0.88:
            pool = world.by_region[self.choice(world.target_regions)]
            picked = rng.sample(pool, min(len(pool), self.randrange(2, 9)))
            countries = sorted(c.iso3 for c in picked)
            languages = list(dict.fromkeys(c.primary for c in picked))[:3]
        elif roll < 0.95:
            ldc = True
            if rng.random() < 0.5:
                regions = [self.choice(("002", "142", "202"))]
            languages = ["en", "fr", *rng.sample(("ar", "pt", "es"), self.randrange(3))]
        else:
            sids = True
            if rng.random() < 0.5:
                regions = [self.choice(("009", "029", "054", "057", "061"))]
            languages = ["en", *rng.sample(("fr", "es", "pt"), self.randrange(3))]
        if "en" not in languages and rng.random() < 0.6:
            languages.append("en")
        eligibility = {
            "regions": regions,
            "countries": countries,
            "ldc_only": ldc,
            "sids_only": sids,
        }
        return eligibility, languages

    def programme(self, index: int, provider: _Provider) -> dict:
        rng = self.rng
        topics = self.topics()
        assistance, audiences = self.tags(topics)
        modes = self.modes()
        eligibility, languages = self.eligibility()
        lang = "en" if "en" in languages and rng.random() < 0.8 else languages[0]
        if lang not in TEMPLATES:
            lang = "en"
        templates = TEMPLATES[lang]
        values = self.text(lang, topics, assistance, audiences, modes)
        values["P"] = provider.name
        description = " ".join(
            (
                self.pick(templates.prog_open, values),
                self.pick(templates.prog_detail, values),
                self.pick(templates.prog_ask, values),
            )
        )
        starts = self.day(_START, 3 * 365)
        if rng.random() < 0.08:  # some programmes have already ended
            starts = self.day(dt.date(2022, 1, 1), 2 * 365)
            ends = self.day(dt.date(2024, 6, 1), 570)
        else:
            ends = starts + dt.timedelta(days=self.randrange(365, 4 * 365))
        record = {
            "ref": f"syn-prog-{index:06d}",
            "provider": provider.ref,
            "title": self.pick(templates.prog_title, values),
            "summary": self.pick(templates.prog_summary, values),
            "description": description,
            "topics": topics,
            "assistance_types": assistance,
            "audiences": audiences,
            "languages": languages,
            "delivery_modes": modes,
            "eligibility": eligibility,
            "cost_model": rng.choices(
                ("free", "cost-shared", "fee"), cum_weights=(65, 90, 100)
            )[0],
        }
        if rng.random() < 0.6:
            record["capacity"] = self.randrange(1, 31)
        record["starts_on"] = starts.isoformat()
        record["ends_on"] = max(ends, starts).isoformat()
        return record

    def need(self, index: int) -> dict:
        rng = self.rng
        world = self.world
        country = rng.choices(world.members, cum_weights=world.member_weights)[0]
        topics = self.topics()
        assistance, audiences = self.tags(topics)
        modes = self.modes()
        lang = country.primary
        languages = [lang]
        local = [c for c in country.languages[1:] if c not in languages]
        if lang != "en" and rng.random() < 0.4:
            languages.append("en")
        if local and rng.random() < 0.15:
            languages.append(self.choice(local))
        if local and rng.random() < 0.03:  # only a local language will do
            languages = [self.choice(local)]
        templates = TEMPLATES[lang]
        values = self.text(lang, topics, assistance, audiences, modes)
        values["C"] = country.names[lang]
        description = " ".join(
            (
                self.pick(templates.need_open, values),
                self.pick(templates.context, values),
                self.pick(templates.need_ask, values),
            )
        )
        record = {
            "ref": f"syn-need-{index:06d}",
            "country": country.iso3,
            "title": self.pick(templates.need_title, values),
            "description": description,
            "topics": topics,
            "assistance_types": assistance,
            "audiences": audiences,
            "languages": languages,
            "delivery_modes": modes,
            "priority": rng.choices(("low", "medium", "high"), cum_weights=(2, 7, 10))[
                0
            ],
            "visibility": rng.choices(
                ("public", "registered", "confidential"), cum_weights=(75, 90, 100)
            )[0],
        }
        if rng.random() < 0.9:
            record["needed_by"] = self.day(_NEEDED_FROM, 2 * 365 + 180).isoformat()
        return record


def default_provider_count(programmes: int) -> int:
    """About three programmes per provider."""
    return 0 if programmes == 0 else max(1, round(programmes / 3))


def generate_lines(
    *, needs: int, programmes: int, seed: int, providers: int | None = None
) -> Iterator[str]:
    """The dataset as lines of JSON text (each ending in a newline), in order."""
    if providers is None:
        providers = default_provider_count(programmes)
    if min(needs, programmes, providers) < 0:
        raise ValueError("sizes cannot be negative")
    if programmes and not providers:
        raise ValueError("programmes need at least one provider")
    generator = _Generator(seed)
    about = (
        f"Synthetic dataset: {providers} providers, {programmes} programmes, "
        f"{needs} needs, seed {seed}. Made by manage.py generate_dataset; the "
        "organisations and texts are generated, the codes and slugs are real."
    )
    yield "{\n"
    yield f'"format": "{FORMAT}",\n'
    yield f'"about": {json.dumps(about)},\n'

    def section(
        name: str, records: Iterator[dict], last: bool = False
    ) -> Iterator[str]:
        yield f'"{name}": ['
        separator = "\n"
        for record in records:
            yield separator + json.dumps(record, ensure_ascii=False)
            separator = ",\n"
        yield "\n]" + ("\n" if last else ",\n")

    made: list[_Provider] = []

    def provider_records() -> Iterator[dict]:
        for index in range(1, providers + 1):
            provider, record = generator.provider(index)
            made.append(provider)
            yield record

    def programme_records() -> Iterator[dict]:
        for index in range(1, programmes + 1):
            yield generator.programme(index, made[generator.randrange(len(made))])

    yield from section("providers", provider_records())
    yield from section("programmes", programme_records())
    yield from section("needs", (generator.need(i) for i in range(1, needs + 1)), True)
    yield "}\n"


def write_dataset(
    out: TextIO,
    *,
    needs: int,
    programmes: int,
    seed: int,
    providers: int | None = None,
) -> None:
    """Write a synthetic dataset to a text stream, a few thousand lines at a time."""
    buffer: list[str] = []
    for line in generate_lines(
        needs=needs, programmes=programmes, seed=seed, providers=providers
    ):
        buffer.append(line)
        if len(buffer) >= 2000:
            out.write("".join(buffer))
            buffer.clear()
    out.write("".join(buffer))
