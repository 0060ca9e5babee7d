#!/usr/bin/env python3
"""Write texts in many languages for the agreement check of language
detection (build/tools/langcheck --text DIR): per language, one file whose
paragraphs are single sentences, short paragraphs and a long text (the
sentences shuffled to ~12 KB, past language.h's LANGUAGE_SAMPLE_MAX), and
files of mixed languages, scripts and symbols.

usage: make_language_samples.py DIR"""
import os
import random
import sys

SENTENCES = {
    'en': ['The delegation welcomes the report of the Secretary-General on sustainable development.',
           'We call on all Member States to act now and to honour their commitments.',
           'Migration governance requires cooperation between countries of origin, transit and destination.',
           'Our government supports the draft resolution without reservation.',
           'Data and evidence must guide the implementation of the compact at the national level.'],
    'fr': ['La délégation se félicite du rapport du Secrétaire général sur le développement durable.',
           'Nous appelons tous les États membres à agir maintenant et à honorer leurs engagements.',
           'La gouvernance des migrations exige une coopération entre les pays d’origine, de transit et de destination.',
           'Notre gouvernement appuie le projet de résolution sans réserve.',
           'Les données doivent guider la mise en œuvre du pacte au niveau national.'],
    'es': ['La delegación acoge con beneplácito el informe del Secretario General sobre el desarrollo sostenible.',
           'Hacemos un llamamiento a todos los Estados Miembros para que actúen ahora y cumplan sus compromisos.',
           'La gobernanza de la migración requiere la cooperación entre los países de origen, tránsito y destino.',
           'Nuestro gobierno apoya el proyecto de resolución sin reservas.',
           'Los datos deben orientar la aplicación del pacto a nivel nacional.'],
    'ru': ['Делегация приветствует доклад Генерального секретаря об устойчивом развитии.',
           'Мы призываем все государства-члены действовать сейчас и выполнять свои обязательства.',
           'Управление миграцией требует сотрудничества между странами происхождения, транзита и назначения.',
           'Наше правительство поддерживает проект резолюции без оговорок.',
           'Данные должны направлять осуществление договора на национальном уровне.'],
    'ar': ['يرحب الوفد بتقرير الأمين العام عن التنمية المستدامة.',
           'ندعو جميع الدول الأعضاء إلى العمل الآن والوفاء بالتزاماتها.',
           'تتطلب إدارة الهجرة التعاون بين بلدان المنشأ والعبور والمقصد.',
           'تؤيد حكومتنا مشروع القرار دون تحفظ.',
           'يجب أن توجه البيانات تنفيذ الاتفاق على المستوى الوطني.'],
    'zh': ['代表团欢迎秘书长关于可持续发展的报告。',
           '我们呼吁所有会员国立即采取行动并履行其承诺。',
           '移民治理需要原籍国、过境国和目的地国之间的合作。',
           '我国政府毫无保留地支持该决议草案。',
           '数据应指导在国家一级执行契约。'],
    'de': ['Die Delegation begrüßt den Bericht des Generalsekretärs über nachhaltige Entwicklung.',
           'Wir fordern alle Mitgliedstaaten auf, jetzt zu handeln und ihre Verpflichtungen zu erfüllen.',
           'Migrationssteuerung erfordert die Zusammenarbeit zwischen Herkunfts-, Transit- und Zielländern.',
           'Unsere Regierung unterstützt den Resolutionsentwurf ohne Vorbehalt.',
           'Daten sollen die Umsetzung des Paktes auf nationaler Ebene leiten.'],
    'it': ['La delegazione accoglie con favore la relazione del Segretario generale sullo sviluppo sostenibile.',
           'Chiediamo a tutti gli Stati membri di agire ora e di rispettare i loro impegni.',
           'La governance delle migrazioni richiede la cooperazione tra paesi di origine, transito e destinazione.',
           'Il nostro governo sostiene il progetto di risoluzione senza riserve.',
           'I dati devono guidare l’attuazione del patto a livello nazionale.'],
    'pt': ['A delegação acolhe com satisfação o relatório do Secretário-Geral sobre o desenvolvimento sustentável.',
           'Apelamos a todos os Estados-Membros para que ajam agora e cumpram os seus compromissos.',
           'A governação das migrações exige cooperação entre os países de origem, trânsito e destino.',
           'O nosso governo apoia o projeto de resolução sem reservas.',
           'Os dados devem orientar a implementação do pacto a nível nacional.'],
    'uk': ['Делегація вітає доповідь Генерального секретаря про сталий розвиток.',
           'Ми закликаємо всі держави-члени діяти зараз і виконувати свої зобов’язання.',
           'Управління міграцією потребує співпраці між країнами походження, транзиту та призначення.',
           'Наш уряд підтримує проєкт резолюції без застережень.',
           'Дані мають спрямовувати виконання договору на національному рівні.'],
    'bg': ['Делегацията приветства доклада на Генералния секретар за устойчивото развитие.',
           'Призоваваме всички държави членки да действат сега и да изпълнят своите ангажименти.',
           'Управлението на миграцията изисква сътрудничество между страните на произход, транзит и местоназначение.',
           'Нашето правителство подкрепя проекта на резолюция без резерви.',
           'Данните трябва да ръководят изпълнението на пакта на национално ниво.'],
    'nl': ['De delegatie verwelkomt het verslag van de secretaris-generaal over duurzame ontwikkeling.',
           'Wij roepen alle lidstaten op nu te handelen en hun verplichtingen na te komen.',
           'Migratiebeheer vereist samenwerking tussen landen van herkomst, doorreis en bestemming.',
           'Onze regering steunt de ontwerpresolutie zonder voorbehoud.'],
    'pl': ['Delegacja z zadowoleniem przyjmuje sprawozdanie Sekretarza Generalnego na temat zrównoważonego rozwoju.',
           'Wzywamy wszystkie państwa członkowskie do natychmiastowego działania i wypełnienia zobowiązań.',
           'Zarządzanie migracją wymaga współpracy między krajami pochodzenia, tranzytu i przeznaczenia.',
           'Nasz rząd popiera projekt rezolucji bez zastrzeżeń.'],
    'fa': ['هیئت نمایندگی از گزارش دبیرکل درباره توسعه پایدار استقبال می‌کند.',
           'ما از همه کشورهای عضو می‌خواهیم که اکنون اقدام کنند و به تعهدات خود عمل کنند.',
           'مدیریت مهاجرت نیازمند همکاری میان کشورهای مبدأ، ترانزیت و مقصد است.',
           'دولت ما بدون قید و شرط از پیش‌نویس قطعنامه حمایت می‌کند.'],
    'ja': ['代表団は持続可能な開発に関する事務総長の報告を歓迎します。',
           '私たちはすべての加盟国に対し、今すぐ行動し約束を果たすよう求めます。',
           '移住のガバナンスには、出身国、通過国、目的国の間の協力が必要です。',
           '我が国政府は決議案を全面的に支持します。'],
    'tr': ['Heyet, Genel Sekreterin sürdürülebilir kalkınma hakkındaki raporunu memnuniyetle karşılıyor.',
           'Tüm üye devletleri şimdi harekete geçmeye ve taahhütlerini yerine getirmeye çağırıyoruz.',
           'Göç yönetimi, menşe, transit ve hedef ülkeler arasında işbirliği gerektirir.',
           'Hükümetimiz karar taslağını çekincesiz desteklemektedir.'],
    'sv': ['Delegationen välkomnar generalsekreterarens rapport om hållbar utveckling.',
           'Vi uppmanar alla medlemsstater att agera nu och fullgöra sina åtaganden.',
           'Migrationsstyrning kräver samarbete mellan ursprungs-, transit- och destinationsländer.',
           'Vår regering stöder resolutionsförslaget utan förbehåll.'],
}

MIXED = [
    ('en', 'fr'), ('fr', 'en'), ('es', 'en'), ('ar', 'en'), ('en', 'ar'), ('zh', 'en'),
    ('ru', 'uk'), ('uk', 'ru'), ('ru', 'bg'), ('es', 'pt'), ('fr', 'it'), ('de', 'en'),
    ('ar', 'fa'), ('zh', 'ja'),
]

SYMBOLS = ['#@!% ^&*() +++ === ~~~', '12 345 678.90 -- 2024-05-01', '→ ★ ✓ — … «» ©',
           'https://example.org/a/b?c=d', 'OK', 'Merci', 'Gracias', 'Спасибо', 'شكرا', '谢谢',
           'Re: Fwd: 2024/05', 'A/RES/73/195', '+41 22 917 1234']


def paragraphs(rng, sents):
    out = list(sents)                                    # single sentences
    for k in (2, 3):                                     # short paragraphs
        for i in range(len(sents)):
            out.append(' '.join(sents[(i + j) % len(sents)] for j in range(k)))
    long_text, n = [], 0
    while n < 12000:                                     # past the sample cap
        s = rng.choice(sents)
        long_text.append(s)
        n += len(s.encode()) + 1
    out.append(' '.join(long_text))
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(18)
    for lang, sents in SENTENCES.items():
        with open(os.path.join(out, lang + '.txt'), 'w') as f:
            f.write('\n\n'.join(paragraphs(rng, sents)) + '\n')
    with open(os.path.join(out, 'mixed.txt'), 'w') as f:
        paras = []
        for a, b in MIXED:
            paras.append(' '.join(SENTENCES[a][:3] + SENTENCES[b][:1]))
            paras.append(' '.join(SENTENCES[a][:1] + SENTENCES[b][:1]))
            paras.append(' '.join(SENTENCES[a][:2] + SYMBOLS[:3]))
        f.write('\n\n'.join(paras) + '\n')
    with open(os.path.join(out, 'symbols.txt'), 'w') as f:
        f.write('\n\n'.join(SYMBOLS) + '\n')


if __name__ == '__main__':
    main()
