"""The demo's programme and call texts in every UI language, so that the demo shows each of them.

`demo_texts_fill()` runs last in `seed_demo`: every translated text of the demo (grants.translation)
whose main-language wording is below gets each language it lacks; nothing typed by a person is
overwritten."""

from modeltranslation.translator import translator

from core.languages import main_language, translation_codes

# English → {language: text}. Ukrainian and Armenian titles are set where the rows are created.
TEXTS: dict[str, dict[str, str]] = {
    "EU for Integrity": {
        "ka": "ევროკავშირი კეთილსინდისიერებისთვის",
        "ro": "UE pentru Integritate",
        "az": "AB Dürüstlük naminə",
        "ru": "ЕС за добросовестность",
    },
    "Open Government Partnership programme for the Eastern Partnership.": {
        "uk": "Програма Партнерства «Відкритий уряд» для Східного партнерства.",
        "hy": "«Բաց կառավարման գործընկերության» ծրագիր Արևելյան գործընկերության համար։",
        "ka": "ღია მმართველობის პარტნიორობის პროგრამა აღმოსავლეთ პარტნიორობისთვის.",
        "ro": "Programul Parteneriatului pentru Guvernare Deschisă pentru Parteneriatul Estic.",
        "az": "Şərq Tərəfdaşlığı üçün Açıq Hökumət Tərəfdaşlığı proqramı.",
        "ru": "Программа Партнёрства «Открытое правительство» для Восточного партнёрства.",
    },
    "Pilot grants for open local budgets": {
        "ka": "საპილოტე გრანტები ღია ადგილობრივი ბიუჯეტებისთვის",
        "ro": "Granturi-pilot pentru bugete locale deschise",
        "az": "Açıq yerli büdcələr üçün pilot qrantlar",
        "ru": "Пилотные гранты на открытые местные бюджеты",
    },
    "A small pilot call, decided: its grants are on the public register and in the open data.": {
        "uk": "Невеликий пілотний конкурс, рішення ухвалено: його гранти є в публічному реєстрі та у відкритих даних.",
        "hy": "Փոքր փորձնական մրցույթ՝ որոշումը կայացված է․ դրա դրամաշնորհները հանրային ռեեստրում և բաց տվյալներում են։",
        "ka": "მცირე საპილოტე კონკურსი, გადაწყვეტილება მიღებულია: მისი გრანტები საჯარო რეესტრსა და ღია მონაცემებშია.",
        "ro": "Un mic apel de propuneri pilot, decis: granturile sale sunt în registrul public și în datele deschise.",
        "az": "Kiçik pilot müsabiqə, qərar verilib: onun qrantları açıq reyestrdə və açıq məlumatlardadır.",
        "ru": "Небольшой пилотный конкурс, решение принято: его гранты есть в публичном реестре и в открытых данных.",
    },
    "Integrity grants 2025": {
        "ka": "კეთილსინდისიერების გრანტები 2025",
        "ro": "Granturi pentru integritate 2025",
        "az": "Dürüstlük qrantları 2025",
        "ru": "Гранты добросовестности 2025",
    },
    "Grants for civil-society monitoring of public money; decided, its grants running.": {
        "uk": "Гранти на громадський моніторинг публічних коштів; рішення ухвалено, гранти виконуються.",
        "hy": "Դրամաշնորհներ հանրային միջոցների քաղաքացիական մոնիթորինգի համար․ որոշումը կայացված է, դրամաշնորհներն ընթացքի մեջ են։",
        "ka": "გრანტები საჯარო ფინანსების სამოქალაქო მონიტორინგისთვის; გადაწყვეტილება მიღებულია, გრანტები მიმდინარეობს.",
        "ro": "Granturi pentru monitorizarea de către societatea civilă a banilor publici; decis, granturile sunt în derulare.",
        "az": "Dövlət vəsaitlərinin vətəndaş cəmiyyəti tərəfindən monitorinqi üçün qrantlar; qərar verilib, qrantlar icra olunur.",
        "ru": "Гранты на гражданский мониторинг публичных средств; решение принято, гранты выполняются.",
    },
    "Innovation grants for online accountability tools": {
        "ka": "ინოვაციური გრანტები ანგარიშვალდებულების ონლაინ ინსტრუმენტებისთვის",
        "ro": "Granturi de inovare pentru instrumente online de responsabilitate",
        "az": "Onlayn hesabatlılıq alətləri üçün innovasiya qrantları",
        "ru": "Инновационные гранты на онлайн-инструменты подотчётности",
    },
    "Open-source tools that let citizens follow public money and hold officials to account.": {
        "uk": "Інструменти з відкритим кодом, що дають громадянам змогу стежити за публічними коштами та вимагати звіту від посадовців.",
        "hy": "Բաց կոդով գործիքներ, որոնք քաղաքացիներին թույլ են տալիս հետևել հանրային միջոցներին և պաշտոնյաներից հաշվետվություն պահանջել։",
        "ka": "ღია კოდის ინსტრუმენტები, რომლებიც მოქალაქეებს საშუალებას აძლევს, თვალი ადევნონ საჯარო ფინანსებს და თანამდებობის პირებს ანგარიში მოსთხოვონ.",
        "ro": "Instrumente cu sursă deschisă care le permit cetățenilor să urmărească banii publici și să le ceară socoteală funcționarilor.",
        "az": "Vətəndaşlara dövlət vəsaitlərini izləməyə və vəzifəli şəxslərdən hesabat tələb etməyə imkan verən açıq mənbəli alətlər.",
        "ru": "Инструменты с открытым кодом, позволяющие гражданам следить за публичными средствами и требовать отчёта от должностных лиц.",
    },
    "Advocacy grants for integrity reforms": {
        "ka": "ადვოკატირების გრანტები კეთილსინდისიერების რეფორმებისთვის",
        "ro": "Granturi de advocacy pentru reforme de integritate",
        "az": "Dürüstlük islahatları üzrə təbliğat qrantları",
        "ru": "Гранты на адвокацию реформ добросовестности",
    },
    "Support for civil-society advocacy on anti-corruption, open contracting and beneficial ownership.": {
        "uk": "Підтримка громадської адвокації у сферах протидії корупції, відкритих закупівель і прозорості кінцевих бенефіціарів.",
        "hy": "Աջակցություն քաղաքացիական հասարակության ջատագովությանը հակակոռուպցիայի, բաց գնումների և իրական շահառուների թափանցիկության ոլորտներում։",
        "ka": "სამოქალაქო საზოგადოების ადვოკატირების მხარდაჭერა ანტიკორუფციის, ღია შესყიდვებისა და საბოლოო ბენეფიციარების საკითხებში.",
        "ro": "Sprijin pentru advocacy-ul societății civile privind combaterea corupției, achizițiile deschise și beneficiarii efectivi.",
        "az": "Korrupsiyaya qarşı mübarizə, açıq satınalmalar və faktiki benefisiar mülkiyyəti üzrə vətəndaş cəmiyyətinin təbliğatına dəstək.",
        "ru": "Поддержка гражданской адвокации в сферах противодействия коррупции, открытых закупок и прозрачности конечных бенефициаров.",
    },
    "Public bodies that publish spending data after CSO advocacy": {
        "ka": "საჯარო დაწესებულებები, რომლებიც სამოქალაქო ორგანიზაციების ადვოკატირების შემდეგ ხარჯების მონაცემებს აქვეყნებენ",
        "ro": "Autorități publice care publică date despre cheltuieli după advocacy-ul OSC",
        "az": "VCT-lərin təbliğatından sonra xərc məlumatlarını dərc edən dövlət qurumları",
        "ru": "Государственные органы, публикующие данные о расходах после адвокации организаций гражданского общества",
    },
    "People trained in monitoring public money": {
        "ka": "საჯარო ფინანსების მონიტორინგში გადამზადებული ადამიანები",
        "ro": "Persoane instruite în monitorizarea banilor publici",
        "az": "Dövlət vəsaitlərinin monitorinqi üzrə təlim keçmiş şəxslər",
        "ru": "Люди, обученные мониторингу публичных средств",
    },
    "Relevance of the action": {
        "ka": "ქმედების შესაბამისობა",
        "ro": "Relevanța acțiunii",
        "az": "Fəaliyyətin aktuallığı",
        "ru": "Актуальность мероприятия",
    },
    "Design and feasibility": {
        "ka": "დიზაინი და განხორციელებადობა",
        "ro": "Concepție și fezabilitate",
        "az": "Dizayn və icra imkanı",
        "ru": "Замысел и осуществимость",
    },
    "Operational capacity": {
        "ka": "ოპერაციული შესაძლებლობები",
        "ro": "Capacitate operațională",
        "az": "Əməliyyat potensialı",
        "ru": "Операционный потенциал",
    },
    "Staff": {"ka": "პერსონალი", "ro": "Personal", "az": "Heyət", "ru": "Персонал"},
    "Travel and events": {
        "ka": "მგზავრობა და ღონისძიებები",
        "ro": "Deplasări și evenimente",
        "az": "Səfərlər və tədbirlər",
        "ru": "Поездки и мероприятия",
    },
    "Equipment and software": {
        "ka": "აღჭურვილობა და პროგრამული უზრუნველყოფა",
        "ro": "Echipamente și software",
        "az": "Avadanlıq və proqram təminatı",
        "ru": "Оборудование и программное обеспечение",
    },
    "Publications and communication": {
        "ka": "პუბლიკაციები და კომუნიკაცია",
        "ro": "Publicații și comunicare",
        "az": "Nəşrlər və kommunikasiya",
        "ru": "Публикации и коммуникация",
    },
    "Indirect costs": {
        "ka": "არაპირდაპირი ხარჯები",
        "ro": "Costuri indirecte",
        "az": "Dolayı xərclər",
        "ru": "Косвенные расходы",
    },
    "Which integrity reform will you advocate for, and why now?": {
        "ka": "კეთილსინდისიერების რომელი რეფორმის ადვოკატირებას გეგმავთ და რატომ ახლა?",
        "ro": "Pentru ce reformă de integritate veți face advocacy și de ce acum?",
        "az": "Hansı dürüstlük islahatını təbliğ edəcəksiniz və niyə məhz indi?",
        "ru": "За какую реформу добросовестности Вы будете выступать и почему именно сейчас?",
    },
    "Who are the decision-makers and how will you reach them?": {
        "ka": "ვინ იღებს გადაწყვეტილებებს და როგორ მიაღწევთ მათთან?",
        "ro": "Cine sunt factorii de decizie și cum veți ajunge la ei?",
        "az": "Qərar qəbul edənlər kimlərdir və onlara necə çatacaqsınız?",
        "ru": "Кто принимает решения и как Вы до них донесёте свою позицию?",
    },
    "How will you measure success?": {
        "ka": "როგორ გაზომავთ წარმატებას?",
        "ro": "Cum veți măsura succesul?",
        "az": "Uğuru necə ölçəcəksiniz?",
        "ru": "Как Вы будете измерять успех?",
    },
    "What accountability problem does the tool solve?": {
        "ka": "ანგარიშვალდებულების რომელ პრობლემას წყვეტს ინსტრუმენტი?",
        "ro": "Ce problemă de responsabilitate rezolvă instrumentul?",
        "az": "Alət hesabatlılığın hansı problemini həll edir?",
        "ru": "Какую проблему подотчётности решает инструмент?",
    },
    "Which open data does it use, and under which licence will you publish the code?": {
        "ka": "რომელ ღია მონაცემებს იყენებს და რომელი ლიცენზიით გამოაქვეყნებთ კოდს?",
        "ro": "Ce date deschise folosește și sub ce licență veți publica codul?",
        "az": "Hansı açıq məlumatlardan istifadə edir və kodu hansı lisenziya ilə dərc edəcəksiniz?",
        "ru": "Какие открытые данные он использует и под какой лицензией Вы опубликуете код?",
    },
    "How will the tool be maintained after the grant?": {
        "ka": "როგორ შენარჩუნდება ინსტრუმენტი გრანტის დასრულების შემდეგ?",
        "ro": "Cum va fi întreținut instrumentul după încheierea grantului?",
        "az": "Qrantdan sonra alət necə dəstəklənəcək?",
        "ru": "Как инструмент будет поддерживаться после окончания гранта?",
    },
    "Statute of the organisation": {
        "ka": "ორგანიზაციის წესდება",
        "ro": "Statutul organizației",
        "az": "Təşkilatın nizamnaməsi",
        "ru": "Устав организации",
    },
    "The current statute, as registered.": {
        "uk": "Чинний статут у зареєстрованій редакції.",
        "hy": "Գործող կանոնադրությունը՝ գրանցված տարբերակով։",
        "ka": "მოქმედი წესდება, რეგისტრირებული სახით.",
        "ro": "Statutul în vigoare, în forma înregistrată.",
        "az": "Qeydiyyatdan keçmiş formada qüvvədə olan nizamnamə.",
        "ru": "Действующий устав в зарегистрированной редакции.",
    },
    "Latest annual financial statement": {
        "ka": "ბოლო წლიური ფინანსური ანგარიშგება",
        "ro": "Cea mai recentă situație financiară anuală",
        "az": "Son illik maliyyə hesabatı",
        "ru": "Последняя годовая финансовая отчётность",
    },
    "Signed by the director and the accountant.": {
        "uk": "Підписаний директором і бухгалтером.",
        "hy": "Ստորագրված տնօրենի և հաշվապահի կողմից։",
        "ka": "ხელმოწერილი დირექტორისა და ბუღალტრის მიერ.",
        "ro": "Semnată de director și de contabil.",
        "az": "Direktor və mühasib tərəfindən imzalanmış.",
        "ru": "Подписанная директором и бухгалтером.",
    },
    "Letters of support": {
        "ka": "მხარდაჭერის წერილები",
        "ro": "Scrisori de susținere",
        "az": "Dəstək məktubları",
        "ru": "Письма поддержки",
    },
    "From partners or authorities, if any.": {
        "uk": "Від партнерів або органів влади, якщо є.",
        "hy": "Գործընկերներից կամ իշխանություններից, եթե կան։",
        "ka": "პარტნიორებისგან ან ხელისუფლებისგან, ასეთის არსებობის შემთხვევაში.",
        "ro": "De la parteneri sau autorități, dacă există.",
        "az": "Tərəfdaşlardan və ya dövlət orqanlarından, əgər varsa.",
        "ru": "От партнёров или органов власти, если есть.",
    },
}


def demo_texts_fill() -> int:
    """Fill in every language the demo's texts lack; returns how many texts were translated."""
    filled = 0
    for model in translator.get_registered_models():
        names: tuple[str, ...] = tuple(getattr(translator.get_options_for_model(model), "fields", ()))
        for obj in model._default_manager.all():
            columns = []
            for name in names:
                known = TEXTS.get(getattr(obj, f"{name}_{main_language()}") or "", {})
                for code in translation_codes():
                    if known.get(code) and not getattr(obj, f"{name}_{code}"):
                        setattr(obj, f"{name}_{code}", known[code])
                        columns.append(f"{name}_{code}")
            if columns:
                obj.save(update_fields=columns)
                filled += len(columns)
    return filled
