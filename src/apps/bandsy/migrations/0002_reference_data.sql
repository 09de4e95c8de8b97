-- Seed data the seed asks for: "Seeded with common instruments" (with their families) and a genre
-- tree at most three levels deep ("Rock -> Alternative Rock -> Indie Rock"). Admins extend both.
-- migrate:up
insert into bandsy.instruments (name, category) values
  ('Acoustic Guitar', 'string'), ('Electric Guitar', 'string'), ('Bass Guitar', 'string'),
  ('Double Bass', 'string'), ('Violin', 'string'), ('Viola', 'string'), ('Cello', 'string'),
  ('Banjo', 'string'), ('Mandolin', 'string'), ('Ukulele', 'string'), ('Harp', 'string'),
  ('Drums', 'percussion'), ('Percussion', 'percussion'), ('Cajon', 'percussion'), ('Congas', 'percussion'),
  ('Piano', 'keyboard'), ('Keyboard', 'keyboard'), ('Organ', 'keyboard'), ('Synthesizer', 'electronic'),
  ('DJ Decks', 'electronic'), ('Drum Machine', 'electronic'), ('Producer / DAW', 'electronic'),
  ('Flute', 'wind'), ('Clarinet', 'wind'), ('Saxophone', 'wind'), ('Oboe', 'wind'), ('Harmonica', 'wind'),
  ('Trumpet', 'brass'), ('Trombone', 'brass'), ('French Horn', 'brass'), ('Tuba', 'brass'),
  ('Lead Vocals', 'vocal'), ('Backing Vocals', 'vocal'), ('Rap / MC', 'vocal');

insert into bandsy.genres (name) values
  ('Rock'), ('Pop'), ('Jazz'), ('Blues'), ('Electronic'), ('Hip Hop'), ('Classical'), ('Folk'),
  ('Country'), ('Metal'), ('Funk'), ('Soul'), ('Reggae'), ('Latin'), ('World');

insert into bandsy.genres (name, parent_genre_id)
select child, (select id from bandsy.genres where name = parent)
from (values
  ('Alternative Rock', 'Rock'), ('Punk Rock', 'Rock'), ('Hard Rock', 'Rock'), ('Progressive Rock', 'Rock'),
  ('Psychedelic Rock', 'Rock'), ('Indie Pop', 'Pop'), ('Synth Pop', 'Pop'), ('K-Pop', 'Pop'),
  ('Bebop', 'Jazz'), ('Smooth Jazz', 'Jazz'), ('Jazz Fusion', 'Jazz'), ('Delta Blues', 'Blues'),
  ('Chicago Blues', 'Blues'), ('House', 'Electronic'), ('Techno', 'Electronic'), ('Drum and Bass', 'Electronic'),
  ('Ambient', 'Electronic'), ('Trap', 'Hip Hop'), ('Boom Bap', 'Hip Hop'), ('Baroque', 'Classical'),
  ('Romantic', 'Classical'), ('Contemporary Classical', 'Classical'), ('Americana', 'Folk'), ('Celtic', 'Folk'),
  ('Bluegrass', 'Country'), ('Heavy Metal', 'Metal'), ('Death Metal', 'Metal'), ('Black Metal', 'Metal'),
  ('Neo Soul', 'Soul'), ('Motown', 'Soul'), ('Dub', 'Reggae'), ('Ska', 'Reggae'), ('Salsa', 'Latin'),
  ('Bossa Nova', 'Latin'), ('Afrobeat', 'World')
) as t (child, parent);

insert into bandsy.genres (name, parent_genre_id)
select child, (select id from bandsy.genres where name = parent)
from (values
  ('Indie Rock', 'Alternative Rock'), ('Grunge', 'Alternative Rock'), ('Shoegaze', 'Alternative Rock'),
  ('Post-Punk', 'Punk Rock'), ('Hardcore Punk', 'Punk Rock'), ('Deep House', 'House'), ('Tech House', 'House'),
  ('Minimal Techno', 'Techno'), ('Liquid Funk', 'Drum and Bass'), ('Thrash Metal', 'Heavy Metal'),
  ('Hard Bop', 'Bebop')
) as t (child, parent);

-- migrate:down
delete from bandsy.genres where parent_genre_id in (select id from bandsy.genres where parent_genre_id is not null);
delete from bandsy.genres where parent_genre_id is not null;
delete from bandsy.genres;
delete from bandsy.instruments;
