// Malay and English text, the language switch, and re-rendering of whatever is
// on screen when the language changes. Plain data: no library.

const dict = {
  ms: {
    'site.name': 'Daftar Masuk: Pendaftaran Premis',
    'site.skip': 'Langkau ke kandungan',
    'nav.register': 'Daftar premis',
    'nav.help': 'Bantuan',
    'lang.switch': 'English',
    'lang.switchLabel': 'Tukar bahasa ke English',
    'footer.text': 'Perlukan bantuan? Hubungi meja bantuan.',

    'register.title': 'Daftar premis anda',
    'register.intro': 'Isikan butiran premis. Kami akan menghantar kod sekali guna untuk mengesahkan telefon atau e-mel anda, kemudian anda boleh memuat turun kod QR dan poster.',
    'register.businessName': 'Nama perniagaan',
    'register.businessNameHint': '2 hingga 100 aksara, seperti yang dipaparkan kepada pelanggan.',
    'register.address': 'Alamat premis',
    'register.addressHint': '5 hingga 200 aksara.',
    'register.contactLegend': 'Hantar kod kepada',
    'register.byPhone': 'Telefon bimbit (SMS)',
    'register.byEmail': 'E-mel',
    'register.phone': 'Nombor telefon bimbit',
    'register.phoneHint': 'Nombor Malaysia, contoh 012-345 6789.',
    'register.email': 'Alamat e-mel',
    'register.emailHint': 'Contoh nama@contoh.com.my',
    'register.submit': 'Hantar kod',
    'register.sending': 'Menghantar kod…',

    'code.title': 'Masukkan kod',
    'code.sentTo': 'Kami telah menghantar kod 6 digit melalui {channel} ke {destination}.',
    'code.channel.sms': 'SMS',
    'code.channel.email': 'e-mel',
    'code.expires': 'Kod ini sah sehingga {time}.',
    'code.label': 'Kod 6 digit',
    'code.hint': 'Taip 6 nombor dalam mesej itu.',
    'code.submit': 'Sahkan',
    'code.checking': 'Menyemak kod…',
    'code.resend': 'Hantar kod baharu',
    'code.resendIn': 'Hantar kod baharu dalam {time}',
    'code.resendReady': 'Anda boleh meminta kod baharu sekarang.',
    'code.resent': 'Kod baharu telah dihantar ke {destination}.',
    'code.resending': 'Menghantar kod baharu…',
    'code.startOver': 'Mula semula',
    'code.none': 'Tiada pendaftaran sedang berjalan dalam tetingkap ini. Sila mula dengan mendaftar premis anda.',

    'result.title': 'Premis anda telah didaftarkan',
    'result.intro': 'Paparkan kod QR ini di pintu masuk supaya pelanggan boleh mendaftar masuk.',
    'result.qrAlt': 'Kod QR untuk {name}',
    'result.loading': 'Memuatkan kod QR…',
    'result.downloadPng': 'Muat turun QR (PNG)',
    'result.downloadSvg': 'Muat turun QR (SVG)',
    'result.poster': 'Muat turun poster untuk dicetak (PDF)',
    'result.downloading': 'Memuat turun…',
    'result.downloaded': 'Fail {file} telah dimuat turun.',
    'result.venueId': 'ID premis',
    'result.keep': 'Muat turun fail anda sekarang: akses ini tamat pada {time}.',
    'result.none': 'Tiada premis yang disahkan dalam tetingkap ini. Sila daftar premis anda dahulu.',

    'check.title': 'Semak kod QR premis',
    'check.checking': 'Menyemak kod ini…',
    'check.genuine': 'Tulen',
    'check.genuineDetail': 'Kod QR ini dikeluarkan oleh pendaftaran premis untuk premis di atas. Pastikan nama ini sama dengan nama di premis.',
    'check.notGenuine': 'Tidak tulen — jangan percaya poster ini',
    'check.reason.malformed': 'Ini bukan kod QR pendaftaran premis, atau kod itu telah rosak.',
    'check.reason.unknown_key': 'Kod ini tidak ditandatangani dengan kunci pendaftaran premis.',
    'check.reason.invalid_signature': 'Tandatangan kod ini tidak sepadan: nama atau butirannya telah diubah.',
    'check.reason.revoked': 'Kod ini telah dibatalkan oleh pemilik premis.',
    'check.none': 'Tiada kod untuk disemak. Imbas kod QR pada poster premis dengan kamera telefon anda.',
    'check.noKeys': 'Kod ini tidak dapat disemak tanpa internet pada lawatan pertama. Sambung ke internet dan cuba lagi.',
    'check.offline': 'Disemak tanpa internet, dengan kunci yang disimpan pada {time}.',
    'check.venueId': 'ID premis',
    'check.serial': 'Keluaran',

    'help.title': 'Meja bantuan',
    'help.intro': 'Beritahu kami masalah anda. Kakitangan kami akan menyemaknya.',
    'help.name': 'Nama anda',
    'help.contactLegend': 'Cara menghubungi anda',
    'help.email': 'Alamat e-mel',
    'help.phone': 'Nombor telefon',
    'help.contactHint': 'Kami hanya menghubungi alamat premis yang telah disahkan.',
    'help.topic': 'Perkara',
    'help.topic.registration': 'Pendaftaran premis',
    'help.topic.verification-code': 'Kod pengesahan',
    'help.topic.qr-code': 'Kod QR atau poster',
    'help.topic.venue-details': 'Butiran premis',
    'help.topic.report-abuse': 'Laporkan penyalahgunaan atau mesej yang tidak diminta',
    'help.topic.other': 'Lain-lain',
    'help.message': 'Mesej',
    'help.messageCount': '{count} / 2000 aksara',
    'help.submit': 'Hantar',
    'help.sending': 'Menghantar…',
    'help.done': 'Terima kasih. Nombor rujukan anda ialah {id}. Simpan nombor ini.',

    'optout.title': 'Ini bukan saya',
    'optout.intro': 'Seseorang meminta kod pendaftaran dihantar ke alamat anda. Jika bukan anda, hentikan semua mesej daripada kami ke alamat ini.',
    'optout.submit': 'Hentikan mesej',
    'optout.sending': 'Menghantar…',
    'optout.done': 'Selesai. Kami tidak akan menghantar mesej lagi ke alamat ini.',
    'optout.missing': 'Pautan ini tidak lengkap. Buka pautan penuh daripada e-mel anda.',

    'pow.solving': 'Menyemak pelayar anda sebelum menghantar. Ini mungkin mengambil beberapa saat…',
    'pow.failed': 'Semakan keselamatan pelayar tidak berjaya. Muat semula halaman dan cuba lagi.',

    'field.businessName': 'Masukkan nama perniagaan, 2 hingga 100 aksara.',
    'field.address': 'Masukkan alamat premis, 5 hingga 200 aksara.',
    'field.phone': 'Masukkan nombor telefon bimbit Malaysia yang sah, contoh 012-345 6789.',
    'field.email': 'Masukkan alamat e-mel yang sah, contoh nama@contoh.com.my.',
    'field.code': 'Masukkan kod 6 digit.',
    'field.name': 'Masukkan nama anda, 2 hingga 100 aksara.',
    'field.topic': 'Pilih perkara.',
    'field.message': 'Tulis mesej anda, hingga 2000 aksara.',
    'field.token': 'Pautan ini tidak sah atau telah tamat tempoh.',
    'field.other': 'Semak medan ini: {detail}',
    'form.fixErrors': 'Sila betulkan {count} ralat dalam borang.',
    'form.fixErrors_one': 'Sila betulkan 1 ralat dalam borang.',

    'error.invalid_request': 'Sila semak butiran yang anda masukkan.',
    'error.unauthorized': 'Akses anda telah tamat atau tidak sah. Sila daftar semula untuk mendapatkan akses baharu.',
    'error.forbidden': 'Anda tidak dibenarkan membuka rekod ini.',
    'error.not_found': 'Rekod ini tidak dijumpai. Ia mungkin telah tamat tempoh; sila mula semula.',
    'error.code_expired': 'Kod ini telah tamat tempoh. Minta kod baharu.',
    'error.payload_too_large': 'Maklumat yang dihantar terlalu panjang. Pendekkan dan cuba lagi.',
    'error.unsupported_media_type': 'Pelayar menghantar permintaan dalam format yang salah. Muat semula halaman dan cuba lagi.',
    'error.destination_not_allowed': 'Kami tidak boleh menghantar kod ke alamat ini. Gunakan nombor telefon bimbit Malaysia atau alamat e-mel lain.',
    'error.invalid_code': 'Kod itu tidak betul. Tinggal {attempts} cubaan lagi.',
    'error.invalid_code_one': 'Kod itu tidak betul. Tinggal 1 cubaan lagi.',
    'error.invalid_code_none': 'Kod itu tidak betul.',
    'error.challenge_required': 'Semakan keselamatan pelayar diperlukan tetapi tidak berjaya. Muat semula halaman dan cuba lagi.',
    'error.rate_limited': 'Terlalu banyak permintaan. Sila cuba lagi dalam {wait}.',
    'error.rate_limited_now': 'Terlalu banyak permintaan. Sila cuba lagi sebentar lagi.',
    'error.too_many_attempts': 'Terlalu banyak kod yang salah untuk pendaftaran ini. Sila mula semula dalam {wait}.',
    'error.too_many_attempts_now': 'Terlalu banyak kod yang salah untuk pendaftaran ini. Sila mula semula.',
    'error.temporarily_unavailable': 'Perkhidmatan ini tidak tersedia buat sementara waktu. Sila cuba lagi dalam {wait}.',
    'error.temporarily_unavailable_now': 'Perkhidmatan ini tidak tersedia buat sementara waktu. Sila cuba lagi kemudian.',
    'error.method_not_allowed': 'Permintaan ini tidak dibenarkan. Muat semula halaman dan cuba lagi.',
    'error.internal': 'Maaf, berlaku ralat pada pihak kami. Sila cuba lagi.',
    'error.network': 'Tidak dapat menghubungi perkhidmatan. Semak sambungan internet anda dan cuba lagi.',
    'error.unknown': 'Maaf, berlaku ralat. Sila cuba lagi.',
    'error.reference': 'Rujukan: {id}',

    'unit.second': '{n} saat',
    'unit.seconds': '{n} saat',
    'unit.minute': '{n} minit',
    'unit.minutes': '{n} minit',
    'unit.hour': '{n} jam',
    'unit.hours': '{n} jam',
  },
  en: {
    'site.name': 'Check-in: Venue Registration',
    'site.skip': 'Skip to content',
    'nav.register': 'Register a venue',
    'nav.help': 'Help',
    'lang.switch': 'Bahasa Melayu',
    'lang.switchLabel': 'Tukar bahasa ke Bahasa Melayu',
    'footer.text': 'Need help? Contact the helpdesk.',

    'register.title': 'Register your venue',
    'register.intro': 'Fill in your venue’s details. We will send a one-time code to confirm your phone or e-mail, then you can download your QR code and poster.',
    'register.businessName': 'Business name',
    'register.businessNameHint': '2 to 100 characters, as your customers know it.',
    'register.address': 'Venue address',
    'register.addressHint': '5 to 200 characters.',
    'register.contactLegend': 'Send the code to',
    'register.byPhone': 'Mobile phone (SMS)',
    'register.byEmail': 'E-mail',
    'register.phone': 'Mobile phone number',
    'register.phoneHint': 'A Malaysian number, for example 012-345 6789.',
    'register.email': 'E-mail address',
    'register.emailHint': 'For example name@example.com.my',
    'register.submit': 'Send code',
    'register.sending': 'Sending the code…',

    'code.title': 'Enter the code',
    'code.sentTo': 'We sent a 6-digit code by {channel} to {destination}.',
    'code.channel.sms': 'SMS',
    'code.channel.email': 'e-mail',
    'code.expires': 'The code is valid until {time}.',
    'code.label': '6-digit code',
    'code.hint': 'Type the 6 numbers in the message.',
    'code.submit': 'Confirm',
    'code.checking': 'Checking the code…',
    'code.resend': 'Send a new code',
    'code.resendIn': 'Send a new code in {time}',
    'code.resendReady': 'You can ask for a new code now.',
    'code.resent': 'A new code was sent to {destination}.',
    'code.resending': 'Sending a new code…',
    'code.startOver': 'Start again',
    'code.none': 'There is no registration in progress in this window. Please start by registering your venue.',

    'result.title': 'Your venue is registered',
    'result.intro': 'Display this QR code at your entrance so that customers can check in.',
    'result.qrAlt': 'QR code for {name}',
    'result.loading': 'Loading the QR code…',
    'result.downloadPng': 'Download QR (PNG)',
    'result.downloadSvg': 'Download QR (SVG)',
    'result.poster': 'Download poster to print (PDF)',
    'result.downloading': 'Downloading…',
    'result.downloaded': '{file} was downloaded.',
    'result.venueId': 'Venue ID',
    'result.keep': 'Download your files now: this access ends at {time}.',
    'result.none': 'There is no verified venue in this window. Please register your venue first.',

    'check.title': 'Check a venue QR code',
    'check.checking': 'Checking this code…',
    'check.genuine': 'Genuine',
    'check.genuineDetail': 'This QR code was issued by the venue registry for the venue above. Make sure this name matches the name at the venue.',
    'check.notGenuine': 'Not genuine — do not trust this poster',
    'check.reason.malformed': 'This is not a venue registry QR code, or the code is damaged.',
    'check.reason.unknown_key': 'This code is not signed with a venue registry key.',
    'check.reason.invalid_signature': 'The signature of this code does not match: its name or details were changed.',
    'check.reason.revoked': 'This code was cancelled by the venue owner.',
    'check.none': 'There is no code to check. Scan the QR code on a venue poster with your phone camera.',
    'check.noKeys': 'This code cannot be checked without internet on a first visit. Connect to the internet and try again.',
    'check.offline': 'Checked without internet, with keys saved at {time}.',
    'check.venueId': 'Venue ID',
    'check.serial': 'Issue',

    'help.title': 'Helpdesk',
    'help.intro': 'Tell us what went wrong. Our staff will look into it.',
    'help.name': 'Your name',
    'help.contactLegend': 'How to reach you',
    'help.email': 'E-mail address',
    'help.phone': 'Phone number',
    'help.contactHint': 'We only contact addresses of venues that completed verification.',
    'help.topic': 'Topic',
    'help.topic.registration': 'Registering a venue',
    'help.topic.verification-code': 'The verification code',
    'help.topic.qr-code': 'QR code or poster',
    'help.topic.venue-details': 'Venue details',
    'help.topic.report-abuse': 'Report abuse or messages I did not ask for',
    'help.topic.other': 'Something else',
    'help.message': 'Message',
    'help.messageCount': '{count} / 2000 characters',
    'help.submit': 'Send',
    'help.sending': 'Sending…',
    'help.done': 'Thank you. Your reference number is {id}. Please keep it.',

    'optout.title': 'This was not me',
    'optout.intro': 'Someone asked for a registration code to be sent to your address. If it was not you, stop all further messages from us to this address.',
    'optout.submit': 'Stop messages',
    'optout.sending': 'Sending…',
    'optout.done': 'Done. We will send no more messages to this address.',
    'optout.missing': 'This link is incomplete. Open the full link from your e-mail.',

    'pow.solving': 'Checking your browser before sending. This can take a few seconds…',
    'pow.failed': 'The browser security check did not work. Reload the page and try again.',

    'field.businessName': 'Enter the business name, 2 to 100 characters.',
    'field.address': 'Enter the venue address, 5 to 200 characters.',
    'field.phone': 'Enter a valid Malaysian mobile number, for example 012-345 6789.',
    'field.email': 'Enter a valid e-mail address, for example name@example.com.my.',
    'field.code': 'Enter the 6-digit code.',
    'field.name': 'Enter your name, 2 to 100 characters.',
    'field.topic': 'Choose a topic.',
    'field.message': 'Write your message, up to 2,000 characters.',
    'field.token': 'This link is invalid or has expired.',
    'field.other': 'Check this field: {detail}',
    'form.fixErrors': 'Please correct {count} errors in the form.',
    'form.fixErrors_one': 'Please correct 1 error in the form.',

    'error.invalid_request': 'Please check the details you entered.',
    'error.unauthorized': 'Your access has ended or is not valid. Please register again to get new access.',
    'error.forbidden': 'You are not allowed to open this record.',
    'error.not_found': 'We could not find this record. It may have expired; please start again.',
    'error.code_expired': 'This code has expired. Ask for a new code.',
    'error.payload_too_large': 'What you sent is too long. Shorten it and try again.',
    'error.unsupported_media_type': 'The browser sent the request in the wrong format. Reload the page and try again.',
    'error.destination_not_allowed': 'We cannot send codes to this address. Use a Malaysian mobile number or another e-mail address.',
    'error.invalid_code': 'That code is not right. {attempts} attempts left.',
    'error.invalid_code_one': 'That code is not right. 1 attempt left.',
    'error.invalid_code_none': 'That code is not right.',
    'error.challenge_required': 'A browser security check was needed but did not succeed. Reload the page and try again.',
    'error.rate_limited': 'Too many requests. Please try again in {wait}.',
    'error.rate_limited_now': 'Too many requests. Please try again shortly.',
    'error.too_many_attempts': 'Too many wrong codes for this registration. Please start again in {wait}.',
    'error.too_many_attempts_now': 'Too many wrong codes for this registration. Please start again.',
    'error.temporarily_unavailable': 'The service is temporarily unavailable. Please try again in {wait}.',
    'error.temporarily_unavailable_now': 'The service is temporarily unavailable. Please try again later.',
    'error.method_not_allowed': 'This request is not allowed. Reload the page and try again.',
    'error.internal': 'Sorry, something went wrong on our side. Please try again.',
    'error.network': 'We could not reach the service. Check your internet connection and try again.',
    'error.unknown': 'Sorry, something went wrong. Please try again.',
    'error.reference': 'Reference: {id}',

    'unit.second': '{n} second',
    'unit.seconds': '{n} seconds',
    'unit.minute': '{n} minute',
    'unit.minutes': '{n} minutes',
    'unit.hour': '{n} hour',
    'unit.hours': '{n} hours',
  },
};

export const languages = Object.keys(dict);
const storeKey = 'lang';
let current = initial();
const listeners = new Set();

function initial() {
  const asked = new URLSearchParams(location.search).get('lang');
  try {
    if (asked && dict[asked]) localStorage.setItem(storeKey, asked);
    const saved = localStorage.getItem(storeKey);
    if (saved && dict[saved]) return saved;
  } catch { /* storage may be off */ }
  return asked && dict[asked] ? asked : 'ms';
}

export function lang() { return current; }

// t answers the text for key in the current language, with {name} filled from params.
export function t(key, params = {}) {
  const s = dict[current][key] ?? dict.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

// duration is a wait in words: "3 minutes", "45 saat".
export function duration(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return t(s === 1 ? 'unit.second' : 'unit.seconds', { n: s });
  if (s < 3600) {
    const m = Math.ceil(s / 60);
    return t(m === 1 ? 'unit.minute' : 'unit.minutes', { n: m });
  }
  const h = Math.ceil(s / 3600);
  return t(h === 1 ? 'unit.hour' : 'unit.hours', { n: h });
}

// clock is a time of day in the current language's convention.
export function clock(date) {
  return new Intl.DateTimeFormat(current === 'ms' ? 'ms-MY' : 'en-MY', { hour: 'numeric', minute: '2-digit' }).format(date);
}

// moment is a date and time of day, for times that may be on another day.
export function moment(date) {
  return new Intl.DateTimeFormat(current === 'ms' ? 'ms-MY' : 'en-MY', { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

// onChange registers fn to run now and after every language change.
export function onChange(fn) {
  listeners.add(fn);
  fn();
  return () => listeners.delete(fn);
}

export function setLang(l) {
  if (!dict[l] || l === current) return;
  current = l;
  try { localStorage.setItem(storeKey, l); } catch { /* storage may be off */ }
  apply();
}

// apply writes every data-i18n text and data-i18n-attr attribute, then runs the listeners.
export function apply(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(',')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  const title = document.querySelector('[data-i18n-title]');
  if (title) document.title = `${t(title.dataset.i18nTitle)} · ${t('site.name')}`;
  for (const fn of listeners) fn();
}

// setupSwitch wires the language button in the header.
export function setupSwitch() {
  const btn = document.getElementById('lang-switch');
  if (!btn) return;
  const other = () => languages.find((l) => l !== current);
  btn.addEventListener('click', () => setLang(other()));
  onChange(() => {
    btn.lang = other();
    btn.textContent = t('lang.switch');
    btn.setAttribute('aria-label', t('lang.switchLabel'));
  });
}
