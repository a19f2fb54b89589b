# Квитанція про згоду, українська.

title = Ваша квитанція про згоду
intro = Ця квитанція фіксує, про що ви домовилися з { $org } щодо ваших історій. Будь ласка, збережіть її.
language-unavailable = Ця квитанція недоступна мовою вашої розмови про згоду ({ $code }), тому її показано англійською. Попросіть команду, яка з вами працює, пояснити її вашою мовою.

## Статус
status-label = Ця згода
status-requested = запитана (ще не надана)
status-given = надана
status-renewed = поновлена
status-refused = відхилена
status-withdrawn = відкликана
status-revoked = припинена організацією
status-expired = строк дії минув
status-invalidated = визнана недійсною
status-unknown = невідомо
not-in-force = Зараз вона не дозволяє жодного використання ваших історій.

## Обсяг і канали
scope-label = Які історії
scope-all = Усі ваші історії
scope-one = Одна історія (номер { $id })
channels-label = Де можна показувати вашу історію
channel-public-web = наш вебсайт
channel-partner-sites = вебсайти й застосунки організацій-партнерів
channel-mobile-app = наш мобільний застосунок
channel-social-media = соціальні мережі
channel-press = преса (газети, радіо, телебачення)
channel-print-exhibition = друковані матеріали й виставки
channel-research-archive = дослідницький архів
partners-all = усі організації-партнери, нинішні й майбутні
partners-named = лише ці організації-партнери: { $partners }
channel-name = ім'я
channel-place = місце
per-channel = Кожне місце, де показують вашу історію, дотримується умов, зазначених поруч із ним. Якщо інша ваша згода теж охоплює історію в цьому місці, діють умови, що краще вас захищають.

## Як вас показують
identity-label = Як вас називають
identity-full-name = ваше повне ім'я
identity-first-name = лише ваше ім'я
identity-pseudonym = псевдонім (вигадане ім'я)
identity-anonymous = жодного імені (анонімно)
faces-label = Ваше обличчя на фото й відео
faces-shown = видно
faces-obscured = приховано (закрито суцільним прямокутником)
faces-not-depicted = немає на жодному зображенні
voice-label = Ваш голос
voice-original = ваш власний голос
voice-altered = змінений голос
voice-text-only = лише письмовий текст
location-label = Де ви перебуваєте, як це показано
location-none = не показано
location-country = лише країна
location-region = країна й регіон
location-city = країна, регіон і місто

## Чутлива інформація (GDPR, ст. 9)
sensitive-label = Чутлива інформація, яку розкриває історія
category-ethnic-origin = етнічне походження
category-political-opinion = політичні погляди
category-religion-or-belief = релігія або переконання
category-trade-union = членство у профспілці
category-genetic = генетичні дані
category-biometric = біометричні дані
category-health = здоров'я
category-sex-life-or-orientation = статеве життя або сексуальна орієнтація
none = немає

## Операції з обробки
operations-label = Що можна робити з вашою історією
operations-not-recorded = Не записано, коли отримували цю згоду. Запитайте команду, яка з вами працює.
operation-collect = збирати її (інтерв'ю, анкета, завантаження файлів)
operation-record = записувати ваш голос або відео
operation-store = зберігати її разом із фото й записами
operation-transcribe = записувати на письмі те, що ви сказали
operation-translate = перекладати її іншими мовами
operation-edit = редагувати її для публікації (скорочувати, виправляти, приховувати обличчя)
operation-publish = публікувати її в місцях, зазначених вище
operation-share-with-partners = передавати її організаціям-партнерам, зазначеним вище
operation-archive = зберігати її в архіві після публікації

## Дати, свідок, право
given-label = Дата згоди
until-label = Дійсна до
until-text = Ця згода закінчується { $date }, якщо ви її не поновите. Вона закінчується раніше, якщо ви її відкличете.
minor-label = Для неповнолітньої особи
minor-text = Ваш опікун дав згоду, і ви також дали власну згоду.
witness-label = Свідок
witness-name = { $witness } (ім'я)
witness-role = { $witness } (роль)
witness-none = свідка не записано
jurisdiction-label = Застосовне право
notice-label = Версія повідомлення про згоду

## Контролер даних
controller-heading = Хто відповідає за ваші дані
controller-name-label = Контролер даних
controller-address-label = Адреса
controller-contact-label = Контакт
controller-dpo-label = Відповідальний за захист даних
not-configured = організація не вказала
controller-unnamed = організація

## Відкликання та квитанція
withdraw-heading = Як відкликати згоду
withdraw-text = Ви можете відкликати свою згоду будь-коли, безкоштовно й без пояснення причин. Скористайтеся кодом відкликання, який вам дали, коли цю згоду записували (його не надруковано на цій копії, бо { $org } його не зберігає), або скажіть команді, яка з вами працює. Тоді ваші історії одразу зникають з нашого вебсайту, а партнерів просять їх прибрати.
about-heading = Про цю квитанцію
receipt-id-label = Номер квитанції
hash-label = Відбиток (SHA-256)
hash-text = Відбиток цифрової версії цієї квитанції. Будь-яка зміна квитанції змінює її відбиток.
