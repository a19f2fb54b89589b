# Recibo de consentimiento, español.

title = Su recibo de consentimiento
intro = Este recibo deja constancia de lo que usted acordó con { $org } sobre sus historias. Consérvelo.
language-unavailable = Este recibo no está disponible en el idioma de su conversación de consentimiento ({ $code }), por eso se muestra en inglés. Pida al equipo que trabaja con usted que se lo explique en su idioma.

## Estado
status-label = Este consentimiento está
status-requested = solicitado (todavía no dado)
status-given = dado
status-renewed = renovado
status-refused = rechazado
status-withdrawn = retirado
status-revoked = detenido por la organización
status-expired = vencido
status-invalidated = declarado no válido
status-unknown = desconocido
not-in-force = Ahora no permite ningún uso de sus historias.

## Alcance y canales
scope-label = Qué historias
scope-all = Todas sus historias
scope-one = Una historia (referencia { $id })
channels-label = Dónde se puede mostrar su historia
channel-public-web = nuestro sitio web
channel-partner-sites = sitios web y aplicaciones de organizaciones asociadas
channel-mobile-app = nuestra aplicación móvil
channel-social-media = las redes sociales
channel-press = la prensa (periódicos, radio, televisión)
channel-print-exhibition = material impreso y exposiciones
channel-research-archive = un archivo de investigación
partners-all = todas las organizaciones asociadas, actuales y futuras
partners-named = solo estas organizaciones asociadas: { $partners }
channel-name = nombre
channel-place = lugar
per-channel = Cada lugar donde se muestra su historia sigue las condiciones indicadas junto a él. Si otro de sus consentimientos también cubre una historia en ese lugar, se aplican las condiciones que más le protegen.

## Cómo aparece usted
identity-label = Cómo se le nombra
identity-full-name = su nombre completo
identity-first-name = solo su nombre de pila
identity-pseudonym = un seudónimo (un nombre inventado)
identity-anonymous = ningún nombre (anónimo)
faces-label = Su cara en fotos y vídeos
faces-shown = visible
faces-obscured = oculta (tapada con un recuadro opaco)
faces-not-depicted = no aparece en ninguna imagen
voice-label = Su voz
voice-original = su propia voz
voice-altered = una voz modificada
voice-text-only = solo texto escrito
location-label = Dónde está usted, tal como se muestra
location-none = no se muestra
location-country = solo el país
location-region = el país y la región
location-city = el país, la región y la ciudad

## Información sensible (RGPD art. 9)
sensitive-label = Información sensible que revela la historia
category-ethnic-origin = origen étnico
category-political-opinion = opiniones políticas
category-religion-or-belief = religión o creencias
category-trade-union = afiliación sindical
category-genetic = datos genéticos
category-biometric = datos biométricos
category-health = salud
category-sex-life-or-orientation = vida sexual u orientación sexual
none = ninguna

## Operaciones de tratamiento
operations-label = Qué se puede hacer con su historia
operations-not-recorded = No se anotó al tomar este consentimiento. Pregunte al equipo que trabaja con usted.
operation-collect = recogerla (una entrevista, un formulario, una subida de archivos)
operation-record = grabar su voz o en vídeo
operation-store = guardarla, con sus fotos y grabaciones
operation-transcribe = poner por escrito lo que usted dijo
operation-translate = traducirla a otros idiomas
operation-edit = editarla para publicarla (acortar, corregir, ocultar caras)
operation-publish = publicarla en los lugares indicados arriba
operation-share-with-partners = entregarla a las organizaciones asociadas indicadas arriba
operation-archive = guardarla en un archivo después de publicarla

## Fechas, testigo, ley
given-label = Acordado el
until-label = Válido hasta
until-text = Este consentimiento termina el { $date }, salvo que lo renueve. Termina antes si lo retira.
minor-label = Para una persona joven
minor-text = Su tutor o tutora dio su acuerdo, y usted también dio el suyo.
witness-label = Testigo
witness-name = { $witness } (nombre)
witness-role = { $witness } (función)
witness-none = no se anotó ningún testigo
jurisdiction-label = Ley aplicable
notice-label = Versión del aviso de consentimiento

## Responsable del tratamiento
controller-heading = Quién es responsable de sus datos
controller-name-label = Responsable del tratamiento
controller-address-label = Dirección
controller-contact-label = Contacto
controller-dpo-label = Delegado/a de protección de datos
not-configured = no indicado por la organización
controller-unnamed = la organización

## Retirada y el recibo
withdraw-heading = Cómo retirar su consentimiento
withdraw-text = Puede retirar su consentimiento en cualquier momento, gratis y sin dar ningún motivo. Use su código de retirada, tal como se le entregó cuando se registró este consentimiento (no aparece en esta copia porque { $org } no lo guarda), o avise al equipo que trabaja con usted. Sus historias salen entonces de nuestro sitio web de inmediato, y se pide a las organizaciones asociadas que las retiren.
about-heading = Sobre este recibo
receipt-id-label = Número de recibo
hash-label = Huella digital (SHA-256)
hash-text = La huella digital de la versión digital de este recibo. Cualquier cambio en el recibo cambia su huella.
