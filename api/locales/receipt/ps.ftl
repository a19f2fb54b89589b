# د رضایت رسید، پښتو.

title = ستاسو د رضایت رسید
intro = دا رسید ښيي چې تاسو د خپلو کیسو په اړه له { $org } سره پر څه موافقه کړې ده. مهرباني وکړئ، وې ساتئ.
language-unavailable = دا رسید ستاسو د رضایت د خبرو په ژبه ({ $code }) نشته، نو ځکه په انګلیسي ښودل کېږي. له هغې ډلې وغواړئ چې له تاسو سره کار کوي، چې په خپله ژبه یې درته تشریح کړي.

## حالت
status-label = د دې رضایت حالت
status-requested = غوښتل شوی (لا نه دی ورکړل شوی)
status-given = ورکړل شوی
status-renewed = نوی شوی
status-refused = رد شوی
status-withdrawn = بېرته اخیستل شوی
status-revoked = د سازمان له خوا درول شوی
status-expired = موده یې پای ته رسېدلې
status-invalidated = ناسم وپېژندل شو
status-unknown = نامعلوم
not-in-force = دا رضایت اوس ستاسو د کیسو هېڅ ډول کارولو ته اجازه نه ورکوي.

## ساحه او چینلونه
scope-label = کومې کیسې
scope-all = ستاسو ټولې کیسې
scope-one = یوه کیسه (مرجع { $id })
channels-label = ستاسو کیسه چېرته ښودل کېدای شي
channel-public-web = زموږ ویب‌پاڼه
channel-partner-sites = د همکارو سازمانونو ویب‌پاڼې او اپلیکېشنونه
channel-mobile-app = زموږ د موبایل اپلیکېشن
channel-social-media = ټولنیزې رسنۍ
channel-press = مطبوعات (ورځپاڼې، راډیو، تلوېزیون)
channel-print-exhibition = چاپي مواد او نندارتونونه
channel-research-archive = یو څېړنیز آرشیف
partners-all = ټول همکار سازمانونه، اوسني او راتلونکي
partners-named = یوازې دا همکار سازمانونه: { $partners }
channel-name = نوم
channel-place = ځای
per-channel = هر هغه ځای چې ستاسو کیسه پکې ښودل کېږي، د هغو شرایطو پیروي کوي چې ورسره لیکل شوي دي. که ستاسو بل رضایت هم په همغه ځای کې یوه کیسه ونغاړي، هغه شرایط پلي کېږي چې تاسو ته ډېر ساتنه درکوي.

## تاسو څنګه ښودل کېږئ
identity-label = ستاسو نوم څنګه یادېږي
identity-full-name = ستاسو بشپړ نوم
identity-first-name = یوازې ستاسو لومړی نوم
identity-pseudonym = مستعار نوم (جوړ شوی نوم)
identity-anonymous = هېڅ نوم نه (بې‌نومه)
faces-label = په عکسونو او ویډیوګانو کې ستاسو مخ
faces-shown = ښکاري
faces-obscured = پټ (په یوه تیاره چوکاټ پوښل شوی)
faces-not-depicted = په هېڅ انځور کې نشته
voice-label = ستاسو غږ
voice-original = ستاسو خپل غږ
voice-altered = بدل شوی غږ
voice-text-only = یوازې لیکلی متن
location-label = ستاسو ځای، لکه څنګه چې ښودل کېږي
location-none = نه ښودل کېږي
location-country = یوازې هېواد
location-region = هېواد او سیمه
location-city = هېواد، سیمه او ښار

## حساس معلومات
sensitive-label = هغه حساس معلومات چې کیسه یې څرګندوي
category-ethnic-origin = قومي اصل
category-political-opinion = سیاسي نظرونه
category-religion-or-belief = دین یا عقیده
category-trade-union = په اتحادیه کې غړیتوب
category-genetic = جینټیکي معلومات
category-biometric = بایومټریک معلومات
category-health = روغتیا
category-sex-life-or-orientation = جنسي ژوند یا جنسي تمایل
none = هېڅ

## د پروسس کړنې
operations-label = ستاسو له کیسې سره څه کېدای شي
operations-not-recorded = د دې رضایت د اخیستلو پر مهال نه دي ثبت شوي. له هغې ډلې وپوښتئ چې له تاسو سره کار کوي.
operation-collect = راټولول یې (مرکه، فورمه، د فایلونو پورته کول)
operation-record = ستاسو د غږ یا ویډیو ثبتول
operation-store = ساتل یې، د عکسونو او ثبتونو سره یوځای
operation-transcribe = د هغه څه لیکل چې تاسو ویلي دي
operation-translate = نورو ژبو ته یې ژباړل
operation-edit = د خپرولو لپاره یې سمول (لنډول، اصلاح کول، د مخونو پټول)
operation-publish = په هغو ځایونو کې یې خپرول چې پورته لیکل شوي
operation-share-with-partners = هغو همکارو سازمانونو ته یې ورکول چې پورته لیکل شوي
operation-archive = له خپرېدو وروسته یې په آرشیف کې ساتل

## نېټې، شاهد، قانون
given-label = د موافقې نېټه
until-label = تر دې نېټې اعتبار لري
until-text = دا رضایت په { $date } پای ته رسېږي، مګر دا چې تاسو یې نوی کړئ. که یې بېرته واخلئ، تر هغه مخکې پای ته رسېږي.
minor-label = د ځوان کس لپاره
minor-text = ستاسو سرپرست موافقه وکړه، او تاسو هم خپله موافقه ورکړه.
witness-label = شاهد
witness-name = { $witness } (نوم)
witness-role = { $witness } (دنده)
witness-none = هېڅ شاهد نه دی ثبت شوی
jurisdiction-label = پلي کېدونکی قانون
notice-label = د رضایت د خبرتیا نسخه

## د معلوماتو مسؤول
controller-heading = ستاسو د معلوماتو مسؤول څوک دی
controller-name-label = د معلوماتو مسؤول
controller-address-label = پته
controller-contact-label = د اړیکې لاره
controller-dpo-label = د معلوماتو د ساتنې مسؤول
not-configured = سازمان نه دی ټاکلی
controller-unnamed = سازمان

## بېرته اخیستل او دا رسید
withdraw-heading = خپل رضایت څنګه بېرته واخلئ
withdraw-text = تاسو هر وخت، وړیا او پرته له دې چې دلیل ووایئ، خپل رضایت بېرته اخیستلای شئ. خپل د بېرته اخیستلو کوډ وکاروئ، لکه څنګه چې د دې رضایت د ثبتولو پر مهال درکړل شو (په دې کاپي کې نه دی چاپ شوی، ځکه چې { $org } یې نه ساتي)، یا هغې ډلې ته ووایئ چې له تاسو سره کار کوي. بیا ستاسو کیسې سمدلاسه زموږ له ویب‌پاڼې لرې کېږي، او له همکارانو غوښتل کېږي چې هغه لرې کړي.
about-heading = د دې رسید په اړه
receipt-id-label = د رسید شمېره
hash-label = ګوته‌نښه (SHA-256)
hash-text = د دې رسید د ډیجیټل نسخې ګوته‌نښه. په رسید کې هر بدلون د هغه ګوته‌نښه بدلوي.
