# Reçu de consentement, français.

title = Votre reçu de consentement
intro = Ce reçu indique ce que vous avez accepté avec { $org } au sujet de vos histoires. Gardez-le.
language-unavailable = Ce reçu n'existe pas dans la langue de votre entretien de consentement ({ $code }) ; il est donc affiché en anglais. Demandez à l'équipe qui vous accompagne de vous l'expliquer dans votre langue.

## Statut
status-label = Ce consentement est
status-requested = demandé (pas encore donné)
status-given = donné
status-renewed = renouvelé
status-refused = refusé
status-withdrawn = retiré
status-revoked = arrêté par l'organisation
status-expired = expiré
status-invalidated = reconnu non valable
status-unknown = inconnu
not-in-force = Il ne permet aucune utilisation de vos histoires à présent.

## Portée et canaux
scope-label = Histoires concernées
scope-all = Toutes vos histoires
scope-one = Une histoire (référence { $id })
channels-label = Où votre histoire peut être montrée
channel-public-web = notre site web
channel-partner-sites = les sites web et applications d'organisations partenaires
channel-mobile-app = notre application mobile
channel-social-media = les réseaux sociaux
channel-press = la presse (journaux, radio, télévision)
channel-print-exhibition = des documents imprimés et des expositions
channel-research-archive = une archive de recherche
partners-all = toutes les organisations partenaires, actuelles et futures
partners-named = seulement ces organisations partenaires : { $partners }
channel-name = nom
channel-place = lieu
per-channel = Chaque endroit où votre histoire est montrée suit les conditions indiquées à côté. Si un autre de vos consentements couvre aussi une histoire à cet endroit, les conditions les plus protectrices s'appliquent.

## Comment la personne apparaît
identity-label = Comment vous êtes nommé·e
identity-full-name = votre nom complet
identity-first-name = votre prénom seulement
identity-pseudonym = un pseudonyme (un nom inventé)
identity-anonymous = aucun nom (anonyme)
faces-label = Votre visage sur les photos et vidéos
faces-shown = visible
faces-obscured = caché (masqué par un cadre opaque)
faces-not-depicted = absent des images
voice-label = Votre voix
voice-original = votre propre voix
voice-altered = une voix modifiée
voice-text-only = texte écrit seulement
location-label = Lieu indiqué
location-none = aucun
location-country = le pays seulement
location-region = le pays et la région
location-city = le pays, la région et la ville

## Informations sensibles (RGPD art. 9)
sensitive-label = Informations sensibles révélées par l'histoire
category-ethnic-origin = l'origine ethnique
category-political-opinion = les opinions politiques
category-religion-or-belief = la religion ou les convictions
category-trade-union = l'appartenance syndicale
category-genetic = les données génétiques
category-biometric = les données biométriques
category-health = la santé
category-sex-life-or-orientation = la vie sexuelle ou l'orientation sexuelle
none = aucune

## Opérations de traitement
operations-label = Ce qui peut être fait de votre histoire
operations-not-recorded = Non noté lors du recueil de ce consentement. Renseignez-vous auprès de l'équipe qui vous accompagne.
operation-collect = la recueillir (entretien, formulaire, envoi de fichiers)
operation-record = enregistrer votre voix ou une vidéo
operation-store = la conserver, avec ses photos et enregistrements
operation-transcribe = mettre par écrit ce que vous avez dit
operation-translate = la traduire dans d'autres langues
operation-edit = la retravailler pour la publication (raccourcir, corriger, masquer les visages)
operation-publish = la publier aux endroits indiqués ci-dessus
operation-share-with-partners = la transmettre aux organisations partenaires indiquées ci-dessus
operation-archive = la conserver dans une archive après publication

## Dates, témoin, droit
given-label = Accepté le
until-label = Valable jusqu'au
until-text = Ce consentement prend fin le { $date }, sauf si vous le renouvelez. Il prend fin plus tôt si vous le retirez.
minor-label = Pour un·e jeune
minor-text = Votre représentant légal a donné son accord, et vous avez aussi donné le vôtre.
witness-label = Témoin
witness-name = { $witness } (nom)
witness-role = { $witness } (fonction)
witness-none = aucun témoin noté
jurisdiction-label = Droit applicable
notice-label = Version de la notice de consentement

## Responsable du traitement
controller-heading = Qui est responsable de vos données
controller-name-label = Responsable du traitement
controller-address-label = Adresse
controller-contact-label = Contact
controller-dpo-label = Délégué·e à la protection des données
not-configured = non renseigné par l'organisation
controller-unnamed = l'organisation

## Retrait et reçu
withdraw-heading = Comment retirer votre consentement
withdraw-text = Vous pouvez retirer votre consentement à tout moment, gratuitement et sans donner de raison. Utilisez votre code de retrait, tel qu'il vous a été remis quand ce consentement a été enregistré (il n'est pas imprimé sur cette copie, car { $org } ne le conserve pas), ou prévenez l'équipe qui vous accompagne. Vos histoires quittent alors notre site immédiatement, et nos partenaires sont priés de les retirer.
about-heading = À propos de ce reçu
receipt-id-label = Numéro du reçu
hash-label = Empreinte (SHA-256)
hash-text = L'empreinte de la version numérique de ce reçu. Toute modification du reçu change son empreinte.
