// Deterministic demo designers: the same count gives the same people, so demos and benchmarks
// are repeatable. Profiles cover every catalog category and vary in industry, style, tools,
// rate and availability so that matching has something to tell apart.
import {
  CATEGORIES,
  CATEGORY_LABELS,
  EXPERIENCE_LEVELS,
  INDUSTRIES,
  STYLES,
  type Category,
  type ExperienceLevel,
  type RateRange,
} from '../catalog'

/** mulberry32: a tiny seeded PRNG, plenty for demo data. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]
  const some = <T>(xs: readonly T[], min: number, max: number): T[] => {
    const pool = [...xs]
    const n = Math.min(pool.length, min + int(max - min + 1))
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(pool.splice(int(pool.length), 1)[0])
    return out
  }
  return { next, int, pick, some }
}

const FIRST = [
  'Maya',
  'Liam',
  'Aisha',
  'Noah',
  'Sofia',
  'Kenji',
  'Amara',
  'Lucas',
  'Priya',
  'Mateo',
  'Ingrid',
  'Omar',
  'Chloe',
  'Tariq',
  'Elena',
  'Jonas',
  'Zara',
  'Diego',
  'Hana',
  'Felix',
  'Nia',
  'Arjun',
  'Clara',
  'Emeka',
  'Lea',
  'Rafael',
  'Yuki',
  'Samir',
  'Isla',
  'Tomas',
  'Freya',
  'Kwame',
  'Mila',
  'Hugo',
  'Leila',
  'Andrei',
  'Nora',
  'Bruno',
  'Ayumi',
  'Caleb',
  'Ines',
  'Viktor',
  'Lucia',
  'Ravi',
  'Astrid',
  'Malik',
  'Julia',
  'Sven',
  'Anya',
  'Pablo',
  'Mei',
  'Oscar',
  'Farah',
  'Nils',
  'Rosa',
  'Dev',
  'Elif',
  'Marco',
  'Tala',
  'Jasper',
] as const
const LAST = [
  'Chen',
  'Okafor',
  'Silva',
  'Nakamura',
  'Haddad',
  'Kowalski',
  'Mensah',
  'Rossi',
  'Patel',
  'Fernandez',
  'Lindqvist',
  'Mahmoud',
  'Dubois',
  'Kim',
  'Novak',
  'Osei',
  'Schmidt',
  'Garcia',
  'Yilmaz',
  'Andersen',
  'Costa',
  'Ivanova',
  'Bauer',
  'Reyes',
  'Sato',
  'Adeyemi',
  'Moreau',
  'Park',
  'Hansen',
  'Mendes',
  'Kaur',
  'Vargas',
  'Nguyen',
  'Berg',
  'Ortiz',
  'Tanaka',
  'Santos',
  'Jensen',
  'Farouk',
  'Lopez',
  'Horvat',
  'Murphy',
  'Ali',
  'Weber',
  'Romero',
  'Ito',
  'Kariuki',
  'Petrov',
  'Rahman',
  'Keller',
  'Ruiz',
  'Suzuki',
  'Bianchi',
  'Nowak',
  'Abebe',
  'Olsen',
  'Marin',
  'Das',
  'Fischer',
  'Moreno',
] as const

const PLACES: [string, string][] = [
  ['Lisbon, Portugal', 'Europe/Lisbon'],
  ['Berlin, Germany', 'Europe/Berlin'],
  ['London, United Kingdom', 'Europe/London'],
  ['Paris, France', 'Europe/Paris'],
  ['Stockholm, Sweden', 'Europe/Stockholm'],
  ['Warsaw, Poland', 'Europe/Warsaw'],
  ['New York, USA', 'America/New_York'],
  ['Austin, USA', 'America/Chicago'],
  ['San Francisco, USA', 'America/Los_Angeles'],
  ['Toronto, Canada', 'America/Toronto'],
  ['Mexico City, Mexico', 'America/Mexico_City'],
  ['São Paulo, Brazil', 'America/Sao_Paulo'],
  ['Buenos Aires, Argentina', 'America/Argentina/Buenos_Aires'],
  ['Lagos, Nigeria', 'Africa/Lagos'],
  ['Nairobi, Kenya', 'Africa/Nairobi'],
  ['Cape Town, South Africa', 'Africa/Johannesburg'],
  ['Dubai, UAE', 'Asia/Dubai'],
  ['Bangalore, India', 'Asia/Kolkata'],
  ['Singapore', 'Asia/Singapore'],
  ['Tokyo, Japan', 'Asia/Tokyo'],
  ['Seoul, South Korea', 'Asia/Seoul'],
  ['Sydney, Australia', 'Australia/Sydney'],
  ['Istanbul, Turkey', 'Europe/Istanbul'],
  ['Remote', 'UTC'],
]

const BY_CATEGORY: Record<Category, { titles: string[]; tools: string[]; skills: string[]; work: string[] }> = {
  'branding-logo': {
    titles: ['Brand Identity Designer', 'Logo Designer', 'Brand Designer', 'Visual Identity Specialist'],
    tools: ['Adobe Illustrator', 'Figma', 'Adobe Photoshop', 'Affinity Designer', 'Glyphs'],
    skills: ['logo design', 'brand strategy', 'typography', 'brand guidelines', 'naming', 'color systems'],
    work: ['brand identities', 'logos and wordmarks', 'brand guidelines'],
  },
  'web-mobile': {
    titles: ['Product Designer', 'UI/UX Designer', 'Mobile App Designer', 'Web Designer'],
    tools: ['Figma', 'Framer', 'Webflow', 'Sketch', 'Principle', 'ProtoPie'],
    skills: ['user research', 'wireframing', 'prototyping', 'design systems', 'accessibility', 'responsive design'],
    work: ['mobile apps', 'SaaS dashboards', 'marketing websites'],
  },
  'social-media': {
    titles: ['Social Media Designer', 'Content Designer', 'Social Creative Lead'],
    tools: ['Canva', 'Adobe Photoshop', 'Figma', 'Adobe Express', 'CapCut'],
    skills: ['social templates', 'ad creatives', 'content calendars', 'short-form video', 'copy layout'],
    work: ['Instagram campaigns', 'paid social creatives', 'launch content'],
  },
  'motion-graphics': {
    titles: ['Motion Designer', 'Motion Graphics Artist', 'Animator'],
    tools: ['Adobe After Effects', 'Cinema 4D', 'Blender', 'Lottie', 'Rive', 'Adobe Premiere Pro'],
    skills: ['2D animation', '3D motion', 'explainer videos', 'logo animation', 'UI animation', 'sound sync'],
    work: ['explainer videos', 'product animations', 'animated logos'],
  },
  illustration: {
    titles: ['Illustrator', 'Editorial Illustrator', 'Digital Illustrator', 'Character Designer'],
    tools: ['Procreate', 'Adobe Illustrator', 'Adobe Fresco', 'Clip Studio Paint', 'Krita'],
    skills: ['character design', 'editorial illustration', 'icon sets', 'children’s books', 'spot illustrations'],
    work: ['editorial spreads', 'product illustrations', 'picture books'],
  },
  'print-packaging': {
    titles: ['Packaging Designer', 'Print Designer', 'Label & Packaging Specialist'],
    tools: ['Adobe InDesign', 'Adobe Illustrator', 'Esko ArtPro', 'Adobe Dimension', 'Blender'],
    skills: ['packaging design', 'dielines', 'prepress', 'label design', 'print production', 'editorial layout'],
    work: ['product packaging', 'labels', 'brochures and posters'],
  },
  presentation: {
    titles: ['Presentation Designer', 'Pitch Deck Designer', 'Information Designer'],
    tools: ['Keynote', 'PowerPoint', 'Google Slides', 'Figma', 'Pitch'],
    skills: ['pitch decks', 'data visualization', 'storytelling', 'slide templates', 'infographics'],
    work: ['investor pitch decks', 'sales presentations', 'conference keynotes'],
  },
}

/** Categories that often go together, for a designer's second category. */
const NEIGHBOURS: Record<Category, Category[]> = {
  'branding-logo': ['print-packaging', 'web-mobile', 'social-media'],
  'web-mobile': ['branding-logo', 'motion-graphics', 'presentation'],
  'social-media': ['motion-graphics', 'branding-logo', 'illustration'],
  'motion-graphics': ['social-media', 'illustration', 'web-mobile'],
  illustration: ['print-packaging', 'social-media', 'motion-graphics'],
  'print-packaging': ['branding-logo', 'illustration'],
  presentation: ['branding-logo', 'web-mobile', 'social-media'],
}

const COMPANIES = [
  'Northwind',
  'Lumen',
  'Bluefin',
  'Harvest & Co',
  'Pillar',
  'Kite',
  'Orbit Labs',
  'Maple',
  'Solace',
  'Ferro',
  'Tidal',
  'Quill',
]
const HOURS = ['Mon–Fri, 9:00–17:00', 'Mon–Thu, 8:00–16:00', 'Tue–Sat, 10:00–18:00', 'Flexible, async-first', 'Mon–Fri, 12:00–20:00']
const RATE_BY_EXPERIENCE: Record<ExperienceLevel, RateRange[]> = {
  '0-2': ['$25-50/hr', '$25-50/hr', '$50-100/hr'],
  '3-5': ['$25-50/hr', '$50-100/hr', '$50-100/hr', '$100-150/hr'],
  '6-10': ['$50-100/hr', '$100-150/hr', '$100-150/hr', '$150-250/hr'],
  '10+': ['$100-150/hr', '$150-250/hr', '$150-250/hr'],
}
const words = (s: string) => s.replace(/-/g, ' ')

export type ReviewState = 'approved' | 'pending' | 'rejected' | 'edited'

export interface DemoDesigner {
  email: string
  firstName: string
  lastName: string
  professionalTitle: string
  bio: string
  location: string
  avatarUrl: string
  yearsExperience: ExperienceLevel
  categories: Category[]
  industriesWorked: string[]
  designStyles: string[]
  tools: string[]
  skills: string[]
  portfolioUrl: string
  portfolioImages: string[]
  caseStudies: { title: string; summary: string; url: string; category: Category }[]
  rateRange: RateRange
  availabilityStatus: 'available' | 'busy' | 'unavailable'
  workingHours: string
  timezone: string
  review: ReviewState
  /** Days before "now" the designer signed up. */
  joinedDaysAgo: number
}

/** How many demo designers wait in each admin queue, for a given total. */
export function reviewCounts(count: number) {
  const pending = count >= 20 ? Math.max(3, Math.round(count * 0.03)) : count >= 3 ? 1 : 0
  const rejected = count >= 10 ? 1 : 0
  const edited = count >= 10 ? 1 : 0
  return { pending, rejected, edited, approved: count - pending - rejected }
}

export function demoDesigners(count: number, seed = 20250816): DemoDesigner[] {
  const r = prng(seed)
  const { pending, rejected, edited } = reviewCounts(count)
  const emails = new Set<string>()
  const out: DemoDesigner[] = []
  for (let i = 0; i < count; i++) {
    const firstName = FIRST[i % FIRST.length]
    const lastName = LAST[(7 * i + Math.floor(i / FIRST.length)) % LAST.length]
    const slug = `${firstName}.${lastName}`.toLowerCase()
    let email = `${slug}@designer.local`
    if (emails.has(email)) email = `${slug}${i}@designer.local`
    emails.add(email)

    const primary = CATEGORIES[i % CATEGORIES.length]
    const categories: Category[] = r.next() < 0.45 ? [primary, r.pick(NEIGHBOURS[primary])] : [primary]
    const spec = BY_CATEGORY[primary]
    const experience = r.pick(Object.keys(EXPERIENCE_LEVELS) as ExperienceLevel[])
    const industries = r.some(INDUSTRIES, 2, 4)
    const styles = r.some(STYLES, 2, 3)
    const tools = [...new Set([...r.some(spec.tools, 2, 4), ...categories.slice(1).flatMap((c) => r.some(BY_CATEGORY[c].tools, 1, 1))])]
    const skills = [...new Set([...r.some(spec.skills, 3, 4), ...categories.slice(1).flatMap((c) => r.some(BY_CATEGORY[c].skills, 1, 2))])]
    const [location, timezone] = r.pick(PLACES)
    const title = r.pick(spec.titles)
    const years = EXPERIENCE_LEVELS[experience]
    const yearsText = experience === '10+' ? 'over ten years' : `${years.max} years`
    const work = r.pick(spec.work)
    const bio = [
      r.pick([
        `${title} with ${yearsText} of experience in ${words(industries[0])} and ${words(industries[1])}.`,
        `I am a ${title.toLowerCase()} who has spent ${yearsText} making ${work} for ${words(industries[0])} teams.`,
        `${yearsText[0].toUpperCase()}${yearsText.slice(1)} designing ${work}, mostly for ${words(industries[0])} and ${words(industries[1])} companies.`,
      ]),
      r.pick([
        `My work is ${styles.join(' and ')}, built on ${skills[0]} and ${skills[1]}.`,
        `I favour a ${styles[0]} look and care about ${skills[0]} and ${skills[1]}.`,
        `Clients hire me for ${styles.join(', ')} design and dependable ${skills[0]}.`,
      ]),
      categories.length > 1 ? `I also take on ${CATEGORY_LABELS[categories[1]].toLowerCase()} projects.` : '',
      r.pick(['I work mostly in ' + tools.slice(0, 2).join(' and ') + '.', 'Tools of choice: ' + tools.join(', ') + '.', '']),
    ]
      .filter(Boolean)
      .join(' ')
    const roll = r.next()
    const caseStudies = r.some(COMPANIES, 1, 2).map((company, k) => ({
      title: `${company}: ${CATEGORY_LABELS[categories[k % categories.length]]} for ${words(industries[k % industries.length])}`,
      summary: `${r.pick(['Rebuilt', 'Designed', 'Launched', 'Refreshed'])} ${r.pick(BY_CATEGORY[categories[k % categories.length]].work)} for ${company}, a ${words(industries[k % industries.length])} company.`,
      url: `https://portfolio.example.com/${slug}/case-${k + 1}`,
      category: categories[k % categories.length],
    }))
    // The last designers fill the admin queues, so every category keeps approved designers.
    const fromEnd = count - 1 - i
    const review: ReviewState =
      fromEnd < pending ? 'pending' : fromEnd < pending + rejected ? 'rejected' : i < edited ? 'edited' : 'approved'
    out.push({
      email,
      firstName,
      lastName,
      professionalTitle: title,
      bio,
      location,
      avatarUrl: `https://images.example.com/avatars/${slug}.jpg`,
      yearsExperience: experience,
      categories,
      industriesWorked: industries,
      designStyles: styles,
      tools,
      skills,
      portfolioUrl: `https://portfolio.example.com/${slug}`,
      portfolioImages: Array.from({ length: 2 + r.int(4) }, (_, k) => `https://images.example.com/portfolio/${slug}/${k + 1}.jpg`),
      caseStudies,
      rateRange: r.pick(RATE_BY_EXPERIENCE[experience]),
      availabilityStatus: roll < 0.8 ? 'available' : roll < 0.95 ? 'busy' : 'unavailable',
      workingHours: r.pick(HOURS),
      timezone,
      review,
      joinedDaysAgo: 5 + r.int(360),
    })
  }
  return out
}
