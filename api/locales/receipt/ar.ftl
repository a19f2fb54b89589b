# إيصال الموافقة، العربية.

title = إيصال موافقتك
intro = يسجّل هذا الإيصال ما وافقت عليه مع { $org } بشأن قصصك. يُرجى الاحتفاظ به.
language-unavailable = هذا الإيصال غير متوفر بلغة محادثة الموافقة ({ $code })، لذلك يُعرض بالإنجليزية. اطلب من الفريق الذي يعمل معك أن يشرحه لك بلغتك.

## الحالة
status-label = حالة هذه الموافقة
status-requested = مطلوبة (لم تُعطَ بعد)
status-given = مُعطاة
status-renewed = مُجدَّدة
status-refused = مرفوضة
status-withdrawn = مسحوبة
status-revoked = أوقفتها المنظمة
status-expired = منتهية الصلاحية
status-invalidated = تبيّن أنها غير صالحة
status-unknown = غير معروفة
not-in-force = لا تسمح هذه الموافقة الآن بأي استخدام لقصصك.

## النطاق والقنوات
scope-label = القصص المشمولة
scope-all = جميع قصصك
scope-one = قصة واحدة (المرجع { $id })
channels-label = أين يمكن عرض قصتك
channel-public-web = موقعنا الإلكتروني
channel-partner-sites = مواقع وتطبيقات المنظمات الشريكة
channel-mobile-app = تطبيقنا على الهاتف
channel-social-media = وسائل التواصل الاجتماعي
channel-press = الصحافة (الصحف والإذاعة والتلفزيون)
channel-print-exhibition = المطبوعات والمعارض
channel-research-archive = أرشيف بحثي
partners-all = جميع المنظمات الشريكة، الحالية والمستقبلية
partners-named = هذه المنظمات الشريكة فقط: { $partners }
channel-name = الاسم
channel-place = المكان
per-channel = يخضع كل مكان تُعرض فيه قصتك للشروط المذكورة بجانبه. وإذا كانت موافقة أخرى لك تشمل قصةً في المكان نفسه، تُطبَّق الشروط الأكثر حماية.

## كيف تظهر
identity-label = كيف يُذكر اسمك
identity-full-name = اسمك الكامل
identity-first-name = اسمك الأول فقط
identity-pseudonym = اسم مستعار
identity-anonymous = دون أي اسم (مجهول الهوية)
faces-label = وجهك في الصور ومقاطع الفيديو
faces-shown = يظهر
faces-obscured = مُخفى (مغطّى بمربع معتم)
faces-not-depicted = لا يظهر في أي صورة
voice-label = صوتك
voice-original = صوتك الحقيقي
voice-altered = صوت مُعدَّل
voice-text-only = نص مكتوب فقط
location-label = مكانك كما يُعرض
location-none = لا يُعرض
location-country = البلد فقط
location-region = البلد والمنطقة
location-city = البلد والمنطقة والمدينة

## المعلومات الحساسة
sensitive-label = معلومات حساسة تكشفها القصة
category-ethnic-origin = الأصل العرقي
category-political-opinion = الآراء السياسية
category-religion-or-belief = الدين أو المعتقد
category-trade-union = العضوية النقابية
category-genetic = البيانات الوراثية
category-biometric = البيانات البيومترية
category-health = الصحة
category-sex-life-or-orientation = الحياة الجنسية أو التوجه الجنسي
none = لا توجد

## عمليات المعالجة
operations-label = ما يمكن فعله بقصتك
operations-not-recorded = لم يُسجَّل ذلك عند أخذ هذه الموافقة. اسأل الفريق الذي يعمل معك.
operation-collect = جمعها (مقابلة أو استمارة أو رفع ملفات)
operation-record = تسجيل صوتك أو تصويرك بالفيديو
operation-store = حفظها مع صورها وتسجيلاتها
operation-transcribe = كتابة ما قلته
operation-translate = ترجمتها إلى لغات أخرى
operation-edit = تحريرها للنشر (اختصار وتصحيح وإخفاء الوجوه)
operation-publish = نشرها في الأماكن المذكورة أعلاه
operation-share-with-partners = تسليمها إلى المنظمات الشريكة المذكورة أعلاه
operation-archive = حفظها في أرشيف بعد النشر

## التواريخ والشاهد والقانون
given-label = تاريخ الموافقة
until-label = صالحة حتى
until-text = تنتهي هذه الموافقة في { $date } ما لم تجدّدها، وتنتهي قبل ذلك إذا سحبتها.
minor-label = للقاصرين
minor-text = وافق وليّ أمرك، وأعطيت أنت موافقتك أيضاً.
witness-label = الشاهد
witness-name = { $witness } (الاسم)
witness-role = { $witness } (الصفة)
witness-none = لم يُسجَّل شاهد
jurisdiction-label = القانون المطبَّق
notice-label = إصدار نص الموافقة

## المسؤول عن البيانات
controller-heading = من المسؤول عن بياناتك
controller-name-label = المسؤول عن معالجة البيانات
controller-address-label = العنوان
controller-contact-label = وسيلة التواصل
controller-dpo-label = مسؤول حماية البيانات
not-configured = لم تحدّده المنظمة
controller-unnamed = المنظمة

## السحب والإيصال
withdraw-heading = كيف تسحب موافقتك
withdraw-text = يمكنك سحب موافقتك في أي وقت، مجاناً ودون ذكر السبب. استخدم رمز السحب كما أُعطي لك عند تسجيل هذه الموافقة (لا يظهر في هذه النسخة لأن { $org } لا تحتفظ به)، أو أخبر الفريق الذي يعمل معك. عندها تُزال قصصك من موقعنا فوراً، ويُطلب من الشركاء إزالتها.
about-heading = عن هذا الإيصال
receipt-id-label = رقم الإيصال
hash-label = البصمة (SHA-256)
hash-text = بصمة النسخة الرقمية من هذا الإيصال. أي تغيير في الإيصال يغيّر بصمته.
