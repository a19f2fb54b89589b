# رسید رضایت، فارسی.

title = رسید رضایت شما
intro = این رسید نشان می‌دهد که درباره‌ی داستان‌هایتان با { $org } بر سر چه چیزی توافق کرده‌اید. لطفاً آن را نگه دارید.
language-unavailable = این رسید به زبان گفت‌وگوی رضایت شما ({ $code }) در دسترس نیست، به همین دلیل به انگلیسی نشان داده می‌شود. از تیمی که با شما کار می‌کند بخواهید آن را به زبان خودتان توضیح دهد.

## وضعیت
status-label = وضعیت این رضایت
status-requested = درخواست شده (هنوز داده نشده)
status-given = داده شده
status-renewed = تمدید شده
status-refused = رد شده
status-withdrawn = پس گرفته شده
status-revoked = متوقف‌شده از سوی سازمان
status-expired = منقضی شده
status-invalidated = نامعتبر شناخته شده
status-unknown = نامعلوم
not-in-force = این رضایت اکنون اجازه‌ی هیچ استفاده‌ای از داستان‌های شما را نمی‌دهد.

## دامنه و مجراها
scope-label = کدام داستان‌ها
scope-all = همه‌ی داستان‌های شما
scope-one = یک داستان (شماره‌ی مرجع { $id })
channels-label = داستان شما کجا می‌تواند نمایش داده شود
channel-public-web = وب‌سایت ما
channel-partner-sites = وب‌سایت‌ها و اپلیکیشن‌های سازمان‌های همکار
channel-mobile-app = اپلیکیشن موبایل ما
channel-social-media = شبکه‌های اجتماعی
channel-press = مطبوعات (روزنامه، رادیو، تلویزیون)
channel-print-exhibition = نشریات چاپی و نمایشگاه‌ها
channel-research-archive = یک آرشیو پژوهشی
partners-all = همه‌ی سازمان‌های همکار، چه اکنون و چه در آینده
partners-named = فقط این سازمان‌های همکار: { $partners }
channel-name = نام
channel-place = مکان
per-channel = هر جایی که داستان شما نمایش داده می‌شود از شرایطی پیروی می‌کند که کنار آن آمده است. اگر رضایت دیگری از شما هم داستانی را در همان‌جا در بر بگیرد، شرایطی اعمال می‌شود که از شما بیشتر محافظت می‌کند.

## چگونه نشان داده می‌شوید
identity-label = چگونه از شما نام برده می‌شود
identity-full-name = نام کامل شما
identity-first-name = فقط نام کوچک شما
identity-pseudonym = نام مستعار (نامی ساختگی)
identity-anonymous = بدون هیچ نامی (ناشناس)
faces-label = چهره‌ی شما در عکس‌ها و ویدیوها
faces-shown = دیده می‌شود
faces-obscured = پنهان (با یک کادر تیره پوشانده می‌شود)
faces-not-depicted = در هیچ تصویری نیست
voice-label = صدای شما
voice-original = صدای خود شما
voice-altered = صدای تغییریافته
voice-text-only = فقط متن نوشته‌شده
location-label = محل شما، آن‌گونه که نشان داده می‌شود
location-none = نشان داده نمی‌شود
location-country = فقط کشور
location-region = کشور و منطقه
location-city = کشور، منطقه و شهر

## اطلاعات حساس
sensitive-label = اطلاعات حساسی که داستان آشکار می‌کند
category-ethnic-origin = خاستگاه قومی
category-political-opinion = عقاید سیاسی
category-religion-or-belief = دین یا باورها
category-trade-union = عضویت در اتحادیه‌ی صنفی
category-genetic = داده‌های ژنتیکی
category-biometric = داده‌های بیومتریک
category-health = سلامت
category-sex-life-or-orientation = زندگی جنسی یا گرایش جنسی
none = هیچ

## عملیات پردازش
operations-label = با داستان شما چه کارهایی می‌توان کرد
operations-not-recorded = هنگام گرفتن این رضایت ثبت نشده است. از تیمی که با شما کار می‌کند بپرسید.
operation-collect = گردآوری آن (مصاحبه، فرم، بارگذاری فایل)
operation-record = ضبط صدا یا ویدیوی شما
operation-store = نگهداری آن همراه با عکس‌ها و ضبط‌هایش
operation-transcribe = نوشتن آنچه گفته‌اید
operation-translate = ترجمه‌ی آن به زبان‌های دیگر
operation-edit = ویرایش آن برای انتشار (کوتاه کردن، اصلاح، پنهان کردن چهره‌ها)
operation-publish = انتشار آن در جاهایی که در بالا آمده است
operation-share-with-partners = سپردن آن به سازمان‌های همکاری که در بالا آمده‌اند
operation-archive = نگهداری آن در آرشیو پس از انتشار

## تاریخ‌ها، شاهد، قانون
given-label = تاریخ توافق
until-label = معتبر تا
until-text = این رضایت در { $date } پایان می‌یابد، مگر آنکه آن را تمدید کنید. اگر آن را پس بگیرید، زودتر پایان می‌یابد.
minor-label = برای فرد زیر ۱۸ سال
minor-text = سرپرست قانونی شما موافقت کرد و خود شما هم موافقت خودتان را اعلام کردید.
witness-label = شاهد
witness-name = { $witness } (نام)
witness-role = { $witness } (نقش)
witness-none = شاهدی ثبت نشده است
jurisdiction-label = قانون حاکم
notice-label = نسخه‌ی متن اطلاع‌رسانی رضایت

## مسئول داده‌ها
controller-heading = چه کسی مسئول داده‌های شماست
controller-name-label = مسئول داده‌ها (کنترل‌کننده)
controller-address-label = نشانی
controller-contact-label = راه تماس
controller-dpo-label = مسئول حفاظت از داده‌ها
not-configured = سازمان آن را تعیین نکرده است
controller-unnamed = سازمان

## پس گرفتن رضایت و این رسید
withdraw-heading = چگونه رضایت خود را پس بگیرید
withdraw-text = شما می‌توانید هر زمان که بخواهید، رایگان و بدون ذکر دلیل، رضایت خود را پس بگیرید. از کد پس‌گیری خود استفاده کنید، همان‌طور که هنگام ثبت این رضایت به شما داده شد (روی این نسخه چاپ نشده است، چون { $org } آن را نگه نمی‌دارد)، یا به تیمی که با شما کار می‌کند بگویید. آن‌گاه داستان‌های شما بی‌درنگ از وب‌سایت ما برداشته می‌شوند و از همکاران خواسته می‌شود آن‌ها را بردارند.
about-heading = درباره‌ی این رسید
receipt-id-label = شماره‌ی رسید
hash-label = اثر انگشت دیجیتال (SHA-256)
hash-text = اثر انگشت نسخه‌ی دیجیتال این رسید. هر تغییری در رسید، اثر انگشت آن را تغییر می‌دهد.
