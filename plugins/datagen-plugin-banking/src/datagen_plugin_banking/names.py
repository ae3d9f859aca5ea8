"""Word lists for Brazilian names, streets, neighbourhoods and billers (plain data).

The lists ship with the pack (rather than being read from a third-party library) so that a
seed gives the same names on every machine whatever else is installed.
"""

from __future__ import annotations

FEMALE_FIRST_NAMES: tuple[str, ...] = (
    "Maria", "Ana", "Francisca", "Antônia", "Adriana", "Juliana", "Márcia", "Fernanda", "Patrícia",
    "Aline", "Sandra", "Camila", "Amanda", "Bruna", "Jéssica", "Letícia", "Júlia", "Luciana",
    "Vanessa", "Mariana", "Gabriela", "Vera", "Vitória", "Larissa", "Cláudia", "Beatriz", "Luana",
    "Rita", "Sônia", "Renata", "Eliane", "Josefa", "Simone", "Natália", "Cristiane", "Carla",
    "Débora", "Rosângela", "Jaqueline", "Rosa", "Daniela", "Aparecida", "Marlene", "Terezinha",
    "Raimunda", "Andréa", "Fabiana", "Lúcia", "Raquel", "Ângela", "Rafaela", "Joana", "Luzia",
    "Elaine", "Daniele", "Regina", "Daiane", "Isabela", "Sabrina", "Helena", "Alice", "Laura",
    "Manuela", "Valentina", "Sophia", "Heloísa", "Lorena", "Lívia", "Cecília", "Eduarda",
    "Yasmin", "Lara", "Clara", "Emanuelly", "Tatiane", "Priscila", "Kelly", "Michele", "Silvana",
    "Graziela", "Thaís", "Carolina", "Viviane", "Rayane", "Nathália", "Giovana", "Pâmela",
    "Cíntia", "Roberta", "Conceição", "Benedita", "Iracema", "Socorro", "Edna", "Glória",
)

MALE_FIRST_NAMES: tuple[str, ...] = (
    "José", "João", "Antônio", "Francisco", "Carlos", "Paulo", "Pedro", "Lucas", "Luiz",
    "Marcos", "Luís", "Gabriel", "Rafael", "Daniel", "Marcelo", "Bruno", "Eduardo", "Felipe",
    "Raimundo", "Rodrigo", "Manoel", "Mateus", "André", "Fernando", "Fábio", "Leonardo",
    "Gustavo", "Guilherme", "Leandro", "Tiago", "Anderson", "Ricardo", "Márcio", "Jorge",
    "Sebastião", "Alexandre", "Roberto", "Edson", "Diego", "Vitor", "Sérgio", "Cláudio",
    "Matheus", "Thiago", "Geraldo", "Adriano", "Luciano", "Júlio", "Renato", "Alex", "Vinícius",
    "Rogério", "Samuel", "Ronaldo", "Mário", "Flávio", "Igor", "Douglas", "Davi", "Arthur",
    "Heitor", "Bernardo", "Miguel", "Enzo", "Lorenzo", "Théo", "Benjamin", "Nicolas",
    "Caio", "Henrique", "Otávio", "Murilo", "Wellington", "Washington", "Cícero", "Valdir",
    "Severino", "Benedito", "Wagner", "Reinaldo", "Emerson", "Everton", "Jefferson", "Robson",
    "Gilberto", "Nelson", "Osvaldo", "Joaquim", "Breno", "Kaique", "Ruan", "Wesley", "Hugo",
)

SURNAMES: tuple[str, ...] = (
    "da Silva", "dos Santos", "Oliveira", "de Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "de Almeida", "Lopes", "Soares",
    "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira",
    "Nunes", "Marques", "Machado", "Mendes", "de Freitas", "Cardoso", "Ramos", "Gonçalves",
    "Santana", "Teixeira", "de Araújo", "Pinto", "Correia", "Cavalcanti", "Monteiro", "Moura",
    "de Jesus", "Batista", "Campos", "Barros", "Rezende", "Miranda", "Cunha", "Freire",
    "de Castro", "Pires", "Farias", "Brito", "Xavier", "Azevedo", "Borges", "Macedo", "Reis",
    "Siqueira", "Tavares", "Pacheco", "Leite", "Coelho", "Fonseca", "Sales", "Bezerra",
    "do Nascimento", "da Costa", "Aguiar", "Duarte", "Guimarães", "Queiroz", "Moraes", "Prado",
    "Magalhães", "Vasconcelos", "Albuquerque", "Figueiredo", "Medeiros", "Peixoto", "Nogueira",
    "Sampaio", "Bastos", "Paiva", "Torres", "Viana", "Melo", "Assis", "Matos", "Camargo",
    "Fagundes", "Brandão", "Lacerda", "Rangel", "Toledo", "Cruz", "Pimentel", "Sousa",
)

STREET_KINDS: tuple[tuple[str, float], ...] = (
    ("Rua", 0.70), ("Avenida", 0.20), ("Travessa", 0.05), ("Alameda", 0.05),
)

STREET_NAMES: tuple[str, ...] = (
    "das Flores", "Brasil", "XV de Novembro", "Sete de Setembro", "Getúlio Vargas", "Tiradentes",
    "Dom Pedro II", "Santos Dumont", "Presidente Vargas", "Marechal Deodoro", "Barão do Rio Branco",
    "São João", "Independência", "da Liberdade", "das Palmeiras", "dos Andradas", "Rui Barbosa",
    "Castro Alves", "Machado de Assis", "José de Alencar", "Princesa Isabel", "Duque de Caxias",
    "Floriano Peixoto", "Benjamin Constant", "Visconde de Mauá", "Osvaldo Cruz", "Carlos Gomes",
    "Padre Anchieta", "Bento Gonçalves", "Anita Garibaldi", "Frei Caneca", "Treze de Maio",
    "Primeiro de Maio", "Vinte e Um de Abril", "da Paz", "da Esperança", "dos Ipês", "das Acácias",
    "dos Girassóis", "Amazonas", "Paraná", "Bahia", "Minas Gerais", "Goiás", "Pernambuco",
    "Santa Catarina", "Rio Grande do Sul", "São Paulo", "Ceará", "Pará", "do Comércio",
    "da Matriz", "da Estação", "do Mercado", "Santo Antônio", "São Sebastião", "São Francisco",
    "Nossa Senhora Aparecida", "Coronel Fernandes", "Doutor Arnaldo", "Professor Lima",
    "Major Sertório", "General Osório", "Almirante Tamandaré", "Cândido Portinari",
    "Tom Jobim", "Cecília Meireles", "Monteiro Lobato", "Chico Mendes", "Zumbi dos Palmares",
)

NEIGHBORHOODS: tuple[str, ...] = (
    "Centro", "Jardim América", "Vila Nova", "Boa Vista", "Santa Cruz", "São José", "Jardim das Flores",
    "Vila Maria", "Bela Vista", "Santo Antônio", "Jardim Europa", "Cidade Nova", "Vila Industrial",
    "Jardim Paulista", "Parque das Nações", "Alto da Boa Vista", "Campo Grande", "Jardim Primavera",
    "Vila Esperança", "Planalto", "Liberdade", "Consolação", "Aeroporto", "Jardim Botânico",
    "Nova Esperança", "São Cristóvão", "Cidade Alta", "Cidade Baixa", "Jardim Brasil", "Vila Rica",
    "Parque Industrial", "Santa Terezinha", "São Francisco", "Jardim Bela Vista", "Vila Operária",
    "Morada do Sol", "Jardim Tropical", "Recreio", "Estação", "Jardim Alvorada", "Ipiranga",
    "Jardim Santa Mônica", "Vila Mariana", "Barra", "Itapuã", "Pituba", "Savassi", "Copacabana",
)

APARTMENT_COMPLEMENTS: tuple[str, ...] = (
    "Apto 101", "Apto 12", "Apto 203", "Apto 34", "Apto 402", "Apto 51", "Apto 804", "Apto 1102",
    "Bloco A Apto 21", "Bloco B Apto 13", "Bloco C Apto 42", "Torre 2 Apto 71",
)
"""Complements of a flat (every apartment address has one; each names the apartment)."""
HOUSE_COMPLEMENTS: tuple[str, ...] = ("Casa 2", "Casa 3", "Casa B", "Fundos")
"""Complements of a house sharing its lot (most houses have none)."""
COMPLEMENTS: tuple[str, ...] = APARTMENT_COMPLEMENTS + HOUSE_COMPLEMENTS
"""Complements of a home address (no shops or offices: customers' addresses are homes)."""

EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 0.45), ("hotmail.com", 0.18), ("outlook.com", 0.10), ("yahoo.com.br", 0.09),
    ("uol.com.br", 0.05), ("bol.com.br", 0.05), ("icloud.com", 0.04), ("terra.com.br", 0.04),
)

BILLERS: tuple[str, ...] = (
    "Companhia de Energia Elétrica", "Companhia de Saneamento", "Operadora de Telefonia Móvel",
    "Provedor de Internet Fibra", "Condomínio Residencial Jardim", "Colégio Nossa Senhora",
    "Universidade Estadual Fundação", "Plano de Saúde Vida", "Seguradora Auto Brasil",
    "Administradora de Cartões", "Prefeitura Municipal - IPTU", "Detran - Licenciamento",
    "Receita Federal - DARF", "Academia Corpo em Forma", "Imobiliária Central Aluguéis",
    "Gás Encanado Distribuidora", "Loja de Móveis Casa Bonita", "Financeira Crédito Fácil",
    "Curso de Idiomas Global", "Clínica Odontológica Sorriso", "Escola de Música Harmonia",
    "TV por Assinatura Brasil", "Consórcio Nacional Veículos", "Farmácia Popular Saúde",
)
